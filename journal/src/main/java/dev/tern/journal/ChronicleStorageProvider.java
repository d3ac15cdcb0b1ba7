package dev.tern.journal;

import dev.tern.storage.Storage;
import dev.tern.storage.StorageProvider;

/** The {@value StorageProvider#DEFAULT} backend: a {@link ChronicleStorage} journal. */
public final class ChronicleStorageProvider implements StorageProvider
{
    @Override
    public String name()
    {
        return DEFAULT;
    }

    @Override
    public Storage open(final Settings settings)
    {
        return new ChronicleStorage(new JournalSettings(settings.directory(), settings.rollCycle(),
            settings.syncEachBatch() ? JournalSettings.Fsync.BATCH : JournalSettings.Fsync.NONE,
            JournalSettings.DEFAULT_CHECKPOINT_PART));
    }
}
