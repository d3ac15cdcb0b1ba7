package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import dev.tern.broker.BrokerConfig;
import dev.tern.event.PipelineEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The stages of the compact thread layout share one consumer thread but keep the pipeline's order: per event in turn,
 * or (journal, then encode) the second stage over a batch only once the first has ended it.
 */
class StageGroupTest
{
    private final List<String> calls = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    @Test
    void shouldTakeEachEventThroughEveryStageBeforeTheNext() throws Exception
    {
        final StageGroup group = StageGroup.perEvent(exceptions(), stage("decode"), stage("route"), stage("encode"));

        group.onBatchStart(2, 2);
        group.onEvent(new PipelineEvent(), 7, false);
        group.onEvent(new PipelineEvent(), 8, true);

        assertEquals(List.of("decode batch 2", "route batch 2", "encode batch 2",
            "decode 7", "route 7", "encode 7", "decode 8 end", "route 8 end", "encode 8 end"), calls);
    }

    @Test
    void shouldRunTheSecondStageOverTheBatchOnlyAfterTheFirstEndedIt() throws Exception
    {
        final StageGroup group = StageGroup.afterBatch(exceptions(), stage("journal"), stage("encode"));
        final PipelineEvent[] events = {new PipelineEvent(), new PipelineEvent(), new PipelineEvent()};

        group.onEvent(events[0], 10, false);
        group.onEvent(events[1], 11, false);
        assertEquals(List.of("journal 10", "journal 11"), calls); // nothing encoded before the batch is stored
        group.onEvent(events[2], 12, true);
        group.onEvent(events[0], 13, true); // the next batch starts afresh

        assertEquals(List.of("journal 10", "journal 11", "journal 12 end", "encode 10", "encode 11", "encode 12 end",
            "journal 13 end", "encode 13 end"), calls);
    }

    @Test
    void shouldHandAnExceptionToTheHandlerAndGoOnWithTheNextStage() throws Exception
    {
        final EventHandler<PipelineEvent> failing = (event, sequence, endOfBatch) ->
        {
            throw new IllegalStateException("route " + sequence);
        };
        final StageGroup group = StageGroup.perEvent(exceptions(), stage("decode"), failing, stage("encode"));

        group.onEvent(new PipelineEvent(), 3, true);

        // encode still runs: it is what clears the event's outbound entries for the slot's next use
        assertEquals(List.of("decode 3 end", "encode 3 end"), calls);
        assertEquals(List.of("3: route 3"), failures);
    }

    @Test
    void shouldLetAnErrorEndTheThread()
    {
        final EventHandler<PipelineEvent> dying = (event, sequence, endOfBatch) ->
        {
            throw new AssertionError("fatal");
        };
        final StageGroup group = StageGroup.perEvent(exceptions(), dying, stage("encode"));

        assertThrows(AssertionError.class, () -> group.onEvent(new PipelineEvent(), 1, true));
        assertEquals(List.of(), failures); // the processor's own handler reports it, once
    }

    @Test
    void shouldChooseTheCompactLayoutOnTwoProcessorsOrFewer()
    {
        assertEquals(BrokerConfig.ThreadLayout.COMPACT, BrokerConfig.ThreadLayout.AUTO.resolve(1));
        assertEquals(BrokerConfig.ThreadLayout.COMPACT, BrokerConfig.ThreadLayout.AUTO.resolve(2));
        assertEquals(BrokerConfig.ThreadLayout.DEDICATED, BrokerConfig.ThreadLayout.AUTO.resolve(3));
        assertEquals(BrokerConfig.ThreadLayout.DEDICATED, BrokerConfig.ThreadLayout.DEDICATED.resolve(2));
        assertEquals(BrokerConfig.ThreadLayout.COMPACT, BrokerConfig.ThreadLayout.COMPACT.resolve(64));
        assertEquals(BrokerConfig.ThreadLayout.DEDICATED, BrokerConfig.ThreadLayout.parse(" Dedicated "));
        assertEquals("thread layout must be auto, compact, dedicated or inline, not 'many'",
            assertThrows(IllegalArgumentException.class, () -> BrokerConfig.ThreadLayout.parse("many")).getMessage());
        final BrokerConfig config = new BrokerConfig().conclude();
        assertEquals(BrokerConfig.ThreadLayout.AUTO.resolve(Runtime.getRuntime().availableProcessors()),
            config.threadLayout());
        assertThrows(IllegalArgumentException.class, () -> new BrokerConfig().threadLayout(null).conclude());
    }

    private EventHandler<PipelineEvent> stage(final String name)
    {
        return new EventHandler<>()
        {
            @Override
            public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
            {
                calls.add(name + " " + sequence + (endOfBatch ? " end" : ""));
            }

            @Override
            public void onBatchStart(final long batchSize, final long queueDepth)
            {
                calls.add(name + " batch " + batchSize);
            }
        };
    }

    private ExceptionHandler<PipelineEvent> exceptions()
    {
        return new ExceptionHandler<>()
        {
            @Override
            public void handleEventException(final Throwable ex, final long sequence, final PipelineEvent event)
            {
                failures.add(sequence + ": " + ex.getMessage());
            }

            @Override
            public void handleOnStartException(final Throwable ex)
            {
                failures.add("start: " + ex.getMessage());
            }

            @Override
            public void handleOnShutdownException(final Throwable ex)
            {
                failures.add("shutdown: " + ex.getMessage());
            }
        };
    }
}
