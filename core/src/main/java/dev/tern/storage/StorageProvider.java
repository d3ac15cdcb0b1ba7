package dev.tern.storage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A storage backend the broker can be configured with by name ({@code persistence.storage}). Implementations are
 * found with {@link ServiceLoader}: a jar lists its provider class in
 * {@code META-INF/services/dev.tern.storage.StorageProvider}. The {@code tern-journal} module provides
 * {@value #DEFAULT}, the Chronicle Queue journal.
 */
public interface StorageProvider
{
    /** The backend used when the configuration names none. */
    String DEFAULT = "chronicle";

    /** @return the name the configuration selects this backend by. */
    String name();

    /**
     * Open (creating if needed) the storage the settings describe. Called once, before the broker starts.
     *
     * @throws IllegalArgumentException if the settings do not suit this backend.
     */
    Storage open(Settings settings);

    /**
     * What the configuration says about the storage.
     *
     * @param directory     where the state lives.
     * @param rollCycle     how often a new file starts, as a Chronicle Queue roll-cycle name (e.g. FAST_HOURLY);
     *                      backends that do not roll files by time ignore it.
     * @param syncEachBatch whether each appended batch is forced to the device before it is acknowledged.
     */
    record Settings(Path directory, String rollCycle, boolean syncEachBatch)
    {
    }

    /** @return the names of the backends on the class path, in class-path order. */
    static List<String> names()
    {
        final List<String> names = new ArrayList<>();
        for (final StorageProvider provider : ServiceLoader.load(StorageProvider.class))
        {
            names.add(provider.name());
        }
        return names;
    }

    /**
     * @return the backend with that name.
     * @throws IllegalArgumentException naming the value and the backends available, if none has that name.
     */
    static StorageProvider named(final String name)
    {
        for (final StorageProvider provider : ServiceLoader.load(StorageProvider.class))
        {
            if (provider.name().equals(name))
            {
                return provider;
            }
        }
        final List<String> names = names();
        throw new IllegalArgumentException("unknown storage '" + name + "'; " +
            (names.isEmpty() ? "no storage backend is on the class path (tern-journal provides '" + DEFAULT + "')" :
            "available: " + String.join(", ", names)));
    }
}
