package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import dev.tern.storage.Storage;

/**
 * Stage between route and encode when persistence is on: appends the event's durable-state records, so that the
 * acknowledgements encode sends next leave only after the journal write (nothing acknowledged is lost).
 */
public final class JournalStage implements EventHandler<PipelineEvent>
{
    private final Storage storage;

    public JournalStage(final Storage storage)
    {
        this.storage = storage;
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        final int length = event.journal.length();
        if (length > 0)
        {
            if (event.checkpoint)
            {
                storage.checkpoint(event.journal.buffer(), 0, length);
            }
            else
            {
                storage.append(event.journal.buffer(), 0, length);
            }
            event.journal.shrink();
        }
        event.checkpoint = false;
        if (endOfBatch)
        {
            storage.flush();
        }
    }
}
