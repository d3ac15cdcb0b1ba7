package dev.tern.broker;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Turns the death of any broker thread into one broker failure, so a broker never keeps running without one of its
 * threads (a zombie that accepts sockets and answers nothing). The first report logs exactly one ERROR line and runs
 * the failure action on a new thread named {@code tern-failure} (it typically closes the broker, which may wait for
 * the reporting thread); later reports are ignored.
 * <p>
 * An {@link Error} (e.g. {@link OutOfMemoryError}, {@link StackOverflowError}) thrown on a broker thread ends it: the
 * state that thread owns can no longer be trusted. Exceptions are logged by the thread's own handler and do not end it.
 * <p>
 * After an {@link OutOfMemoryError} the heap may be full of live data, so the monitor holds a small reserve it lets
 * go first: the log line and the failure action then have room. A standalone process can go further and halt at once
 * after the log line ({@link #haltOnOutOfMemoryError(int)}), as {@code -XX:+ExitOnOutOfMemoryError} would.
 */
public final class FailureMonitor
{
    private static final Logger LOG = LoggerFactory.getLogger(FailureMonitor.class);
    /** Heap set aside for reporting a failure once memory has run out. */
    private static final int RESERVE_BYTES = 1024 * 1024;
    /** Exit status to halt the process with after an OutOfMemoryError has been logged; negative for none. */
    private static volatile int haltStatus = -1;

    /** Let go by the first failure in the process. */
    @SuppressWarnings("unused")
    private static volatile byte[] reserve = new byte[RESERVE_BYTES];

    private final AtomicReference<BrokerFailureException> failure = new AtomicReference<>();
    private final Consumer<BrokerFailureException> action;

    /** @param action run once, on its own thread, after the first failure has been logged. */
    public FailureMonitor(final Consumer<BrokerFailureException> action)
    {
        this.action = action;
    }

    /**
     * Process-wide: once a broker thread died of an {@link OutOfMemoryError} and that has been logged, halt the JVM
     * with this status instead of closing the broker (an orderly close may itself run out of memory). For a
     * standalone broker's launcher; an embedding program normally leaves it unset.
     *
     * @param status the exit status.
     */
    public static void haltOnOutOfMemoryError(final int status)
    {
        haltStatus = status;
    }

    /** @return whether a throwable ends the broker thread it was thrown on. */
    public static boolean isFatal(final Throwable throwable)
    {
        return throwable instanceof Error;
    }

    /**
     * Report that a broker thread died. Thread-safe; only the first report counts.
     *
     * @param threadName the thread, e.g. {@code tern-route}.
     * @param cause      what ended it.
     */
    public void threadDied(final String threadName, final Throwable cause)
    {
        if (failure.get() != null)
        {
            return;
        }
        reserve = null; // room for what follows, should the heap be full
        final BrokerFailureException ex = new BrokerFailureException(threadName, cause);
        if (!failure.compareAndSet(null, ex))
        {
            return;
        }
        try
        {
            LOG.error("{}; closing the broker", ex.getMessage());
        }
        catch (final Throwable ignore)
        {
            // logging may itself fail after an OutOfMemoryError: the action below still runs
        }
        final int status = haltStatus;
        if (status >= 0 && cause instanceof OutOfMemoryError)
        {
            Runtime.getRuntime().halt(status);
        }
        final BrokerFailureException report = ex;
        try
        {
            final Thread thread = new Thread(() -> action.accept(report), "tern-failure");
            thread.setDaemon(false); // the failure must be handled before the JVM may exit
            thread.start();
        }
        catch (final Throwable cannotStart)
        {
            action.accept(report);
        }
    }

    /** @return the first failure reported, or null while every thread runs. */
    public BrokerFailureException failure()
    {
        return failure.get();
    }

    /**
     * The error handler for an {@link AgentRunner}: an {@link Error} is reported as the death of the agent's thread
     * (the runner then rethrows it, which ends the thread); anything else is logged and the duty cycle goes on.
     *
     * @param roleName the agent's thread name.
     * @param log      where non-fatal errors are logged.
     * @return the handler.
     */
    public ErrorHandler agentErrorHandler(final String roleName, final Logger log)
    {
        return throwable ->
        {
            if (isFatal(throwable))
            {
                threadDied(roleName, throwable);
            }
            else
            {
                log.error("{}: error in duty cycle", roleName, throwable);
            }
        };
    }

    /**
     * Close an agent runner, waiting at most {@code timeoutMs} for its thread to stop. A thread stuck in its duty
     * cycle (e.g. waiting for room in a ring a dead stage no longer drains) is left behind, with a warning, rather
     * than holding up the close for ever.
     *
     * @return true if the thread stopped.
     */
    public static boolean close(final AgentRunner runner, final int timeoutMs)
    {
        try
        {
            runner.close(timeoutMs, thread ->
            {
                throw new IllegalStateException(thread.getName() + " did not stop within " + timeoutMs + " ms");
            });
            return true;
        }
        catch (final IllegalStateException ex)
        {
            LOG.warn("{}; left running", ex.getMessage());
            return false;
        }
    }
}
