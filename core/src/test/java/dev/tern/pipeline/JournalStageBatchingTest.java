package dev.tern.pipeline;

import dev.tern.broker.BrokerCounters;
import dev.tern.event.PipelineEvent;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal stage appends the deltas of a pipeline batch as one storage document, in order, flushing before the
 * batch's acknowledgements may leave; checkpoints and the size bound split the document without reordering records.
 */
class JournalStageBatchingTest
{
    private final RecordingStorage storage = new RecordingStorage();
    private final BrokerCounters counters = new BrokerCounters();
    private final JournalStage stage = new JournalStage(storage, counters);
    private long sequence;

    @Test
    void shouldAppendTheDeltasOfABatchAsOneDocumentInOrder()
    {
        final List<PipelineEvent> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            final PipelineEvent event = new PipelineEvent();
            event.journal.subscribe("c" + i, "t/" + i, 1);
            batch.add(event);
        }
        batch.add(new PipelineEvent()); // an event without records does not end the document
        feed(batch);

        assertEquals(1, storage.deltaDocuments());
        assertEquals(List.of("SUBSCRIBE c0 t/0 1", "SUBSCRIBE c1 t/1 1", "SUBSCRIBE c2 t/2 1", "SUBSCRIBE c3 t/3 1",
            "SUBSCRIBE c4 t/4 1"), storage.takeRecords());
        batch.forEach(e -> assertFalse(e.journalFailed));
    }

    @Test
    void shouldAppendTheDeltasGatheredBeforeACheckpointFirst()
    {
        final PipelineEvent before = new PipelineEvent();
        before.journal.subscribe("a", "x", 0);
        final PipelineEvent checkpoint = new PipelineEvent();
        checkpoint.journal.sessionCreate("cp", null, true);
        checkpoint.checkpoint = true;
        final PipelineEvent after = new PipelineEvent();
        after.journal.unsubscribe("a", "x");
        feed(List.of(before, checkpoint, after));

        assertEquals(2, storage.deltaDocuments());
        assertEquals(1, storage.checkpoints());
        final List<String> records = storage.takeRecords();
        assertEquals(3, records.size());
        assertTrue(records.get(0).startsWith("SUBSCRIBE a x"), records.toString());
        assertTrue(records.get(1).startsWith("SESSION"), records.toString());
        assertTrue(records.get(2).startsWith("UNSUBSCRIBE a x"), records.toString());
    }

    @Test
    void shouldSplitABatchWhoseDeltasExceedTheDocumentBoundAndLetAnOversizedEventGoAlone()
    {
        final List<PipelineEvent> batch = new ArrayList<>();
        final String filter = "f/".repeat(JournalStage.MAX_DOCUMENT_BYTES / 8); // a quarter of the bound a record
        for (int i = 0; i < 10; i++)
        {
            final PipelineEvent event = new PipelineEvent();
            event.journal.subscribe("c" + i, i == 5 ? filter.repeat(5) : filter, 0);
            batch.add(event);
        }
        feed(batch);

        // c0-c2 (a fourth would not fit), c3-c4 (then c5 is too big to join), c5 alone, c6-c8, c9
        assertEquals(5, storage.deltaDocuments());
        final List<String> records = storage.takeRecords();
        assertEquals(10, records.size());
        for (int i = 0; i < 10; i++)
        {
            assertTrue(records.get(i).startsWith("SUBSCRIBE c" + i + " "), records.get(i));
        }
    }

    @Test
    void shouldWithholdTheAcknowledgementsOfEveryEventOfABatchWhoseDocumentTheStorageRefused()
    {
        final FailingStorage failing = new FailingStorage();
        final JournalStage failingStage = new JournalStage(failing, counters);
        final List<PipelineEvent> batch = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            final PipelineEvent event = new PipelineEvent();
            event.journal.subscribe("c" + i, "t", 1);
            batch.add(event);
        }
        for (int i = 0; i < batch.size(); i++)
        {
            failingStage.onEvent(batch.get(i), sequence++, i == batch.size() - 1);
        }

        assertEquals(1, failing.appends);
        batch.forEach(e -> assertTrue(e.journalFailed));
        assertEquals(1, counters.journalFailed.get());
    }

    private void feed(final List<PipelineEvent> batch)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            stage.onEvent(batch.get(i), sequence++, i == batch.size() - 1);
        }
    }

    private static final class FailingStorage implements dev.tern.storage.Storage
    {
        int appends;

        @Override
        public void replay(final BatchHandler handler)
        {
        }

        @Override
        public boolean append(final DirectBuffer buffer, final int offset, final int length)
        {
            appends++;
            return false;
        }

        @Override
        public boolean checkpoint(final DirectBuffer buffer, final int offset, final int length)
        {
            return false;
        }

        @Override
        public void close()
        {
        }
    }
}
