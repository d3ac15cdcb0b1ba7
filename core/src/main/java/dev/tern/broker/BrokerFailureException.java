package dev.tern.broker;

/**
 * A thread the broker cannot run without (a pipeline stage, the ingress bridge, an I/O agent, the journal) died. The
 * broker has been closed; {@link #getCause()} is what ended the thread, typically an {@link Error} such as
 * {@link OutOfMemoryError}.
 */
public final class BrokerFailureException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String threadName;

    /**
     * @param threadName name of the thread that died, e.g. {@code tern-route}.
     * @param cause      what ended it.
     */
    public BrokerFailureException(final String threadName, final Throwable cause)
    {
        super(describe(threadName, cause), cause, false, false);
        this.threadName = threadName;
    }

    /** @return the name of the thread that died. */
    public String threadName()
    {
        return threadName;
    }

    /** One line: the thread, the throwable and where it was thrown (the stack trace stays in the cause). */
    private static String describe(final String threadName, final Throwable cause)
    {
        final StackTraceElement[] trace = cause.getStackTrace();
        return "thread " + threadName + " died: " + cause + (trace.length > 0 ? " (at " + trace[0] + ")" : "");
    }
}
