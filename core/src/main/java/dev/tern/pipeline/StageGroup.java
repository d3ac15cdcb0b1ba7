package dev.tern.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import dev.tern.event.PipelineEvent;

import java.util.Arrays;

/**
 * Several pipeline stages on one Disruptor consumer thread, for the {@code compact} thread layout of small hosts: every
 * hand-off between stage threads is a chance to be descheduled, and on two cores that is where the latency tail comes
 * from. The stages still run in pipeline order and each keeps its one-thread ownership; only the thread is shared.
 * <ul>
 *     <li>{@link #perEvent}: each event goes through every stage in turn (decode, route, encode), so its packets
 *     leave before the next event is decoded.</li>
 *     <li>{@link #afterBatch}: the first stage sees each event, the second sees the whole batch once the first has
 *     ended it (journal, then encode): acknowledgements leave only after the batch's records were appended and
 *     flushed, as with a thread per stage, where encode waits for the journal stage's sequence.</li>
 * </ul>
 * An exception in one stage goes to the exception handler and the event goes on to the next stage, as it would
 * between stage threads (encode must still clear the event's outbound entries). An {@link Error} is not caught.
 */
final class StageGroup implements EventHandler<PipelineEvent>
{
    private final EventHandler<PipelineEvent>[] stages;
    private final EventHandler<PipelineEvent> batchStage;
    private final ExceptionHandler<PipelineEvent> exceptionHandler;
    /** Events of the current batch, for {@link #batchStage}; the ring does not reuse them before the batch ends. */
    private PipelineEvent[] batch = new PipelineEvent[64];
    private long batchStartSequence;
    private int batchCount;

    private StageGroup(
        final EventHandler<PipelineEvent>[] stages,
        final EventHandler<PipelineEvent> batchStage,
        final ExceptionHandler<PipelineEvent> exceptionHandler)
    {
        this.stages = stages;
        this.batchStage = batchStage;
        this.exceptionHandler = exceptionHandler;
    }

    /**
     * @param exceptionHandler told of an exception in a stage.
     * @param stages           in pipeline order.
     * @return a group that takes each event through all the stages before the next event.
     */
    @SafeVarargs
    static StageGroup perEvent(
        final ExceptionHandler<PipelineEvent> exceptionHandler, final EventHandler<PipelineEvent>... stages)
    {
        return new StageGroup(stages.clone(), null, exceptionHandler);
    }

    /**
     * @param exceptionHandler told of an exception in a stage.
     * @param first            sees each event; its work for a batch is complete when it has seen the batch's last.
     * @param then             sees the events of a batch once {@code first} has seen them all.
     * @return the group.
     */
    @SuppressWarnings("unchecked")
    static StageGroup afterBatch(
        final ExceptionHandler<PipelineEvent> exceptionHandler,
        final EventHandler<PipelineEvent> first,
        final EventHandler<PipelineEvent> then)
    {
        return new StageGroup(new EventHandler[] {first}, then, exceptionHandler);
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        for (final EventHandler<PipelineEvent> stage : stages)
        {
            stage.onBatchStart(batchSize, queueDepth);
        }
        if (batchStage != null)
        {
            batchStage.onBatchStart(batchSize, queueDepth);
        }
    }

    @Override
    public void onEvent(final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        for (final EventHandler<PipelineEvent> stage : stages)
        {
            run(stage, event, sequence, endOfBatch);
        }
        if (batchStage == null)
        {
            return;
        }
        if (batchCount == 0)
        {
            batchStartSequence = sequence;
        }
        if (batchCount == batch.length)
        {
            batch = Arrays.copyOf(batch, batchCount * 2);
        }
        batch[batchCount++] = event;
        if (endOfBatch)
        {
            final int count = batchCount;
            batchCount = 0;
            for (int i = 0; i < count; i++)
            {
                final PipelineEvent batched = batch[i];
                batch[i] = null;
                run(batchStage, batched, batchStartSequence + i, i == count - 1);
            }
        }
    }

    private void run(
        final EventHandler<PipelineEvent> stage, final PipelineEvent event, final long sequence, final boolean endOfBatch)
    {
        try
        {
            stage.onEvent(event, sequence, endOfBatch);
        }
        catch (final Exception ex)
        {
            exceptionHandler.handleEventException(ex, sequence, event);
        }
    }

    @Override
    public void onStart()
    {
        for (final EventHandler<PipelineEvent> stage : stages)
        {
            stage.onStart();
        }
        if (batchStage != null)
        {
            batchStage.onStart();
        }
    }

    @Override
    public void onShutdown()
    {
        for (final EventHandler<PipelineEvent> stage : stages)
        {
            stage.onShutdown();
        }
        if (batchStage != null)
        {
            batchStage.onShutdown();
        }
    }
}
