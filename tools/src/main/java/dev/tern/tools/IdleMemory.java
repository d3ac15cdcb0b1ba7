package dev.tern.tools;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.DynamicMBean;
import javax.management.JMException;

/**
 * Gives memory that the standalone broker no longer uses back to the system, so that an idle broker stays small.
 * <p>
 * Two things keep pages resident after they are free. A plain {@code java -jar} sizes the heap from the machine's
 * RAM, and start-up (parsing, class loading, a journal replay) leaves garbage all over it: one full collection once
 * the listeners are open compacts what is live, and G1 then shrinks the heap towards it and unmaps the rest (the heap
 * grows again as load needs; {@code -XX:+DisableExplicitGC} turns this off). And the C library keeps memory that the
 * JVM freed (the JIT compilers' work areas, peaking at about 12 MiB while they compile the message path, and the
 * garbage collector's per-region tables) for reuse rather than returning it: a trim of the native heap every
 * {@link #TRIM_INTERVAL_MS} returns it, as {@code -XX:TrimNativeHeapInterval} of later JDKs would. A trim costs
 * about a millisecond of one thread's time.
 */
final class IdleMemory
{
    /** Interval between trims of the native heap. */
    static final long TRIM_INTERVAL_MS = 10_000;
    /** Delay from start to the first collection and trim, for start-up's last compilations to finish. */
    static final long FIRST_DELAY_MS = 2_000;

    private static final String TRIM_OPERATION = "systemTrimNativeHeap";
    private static final Logger LOG = LoggerFactory.getLogger(IdleMemory.class);

    private IdleMemory()
    {
    }

    /** Start the daemon thread {@code tern-memory}. */
    static void start()
    {
        final Thread thread = new Thread(IdleMemory::run, "tern-memory");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    private static void run()
    {
        try
        {
            Thread.sleep(FIRST_DELAY_MS);
            System.gc();
            final Runnable trim = nativeHeapTrim();
            while (true)
            {
                trim.run();
                Thread.sleep(TRIM_INTERVAL_MS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The diagnostic command {@code System.trim_native_heap} (glibc's malloc_trim), or nothing where it is missing.
     * The command's MBean is taken directly (package {@code sun.management}, exported to the jar by its manifest and
     * by bin/tern) rather than through the platform MBean server, which would load and keep some 5 MiB of classes.
     */
    private static Runnable nativeHeapTrim()
    {
        try
        {
            final DynamicMBean commands = (DynamicMBean)Class.forName("sun.management.ManagementFactoryHelper")
                .getMethod("getDiagnosticCommandMBean").invoke(null);
            final Object[] params = {new String[0]};
            final String[] signature = {String[].class.getName()};
            commands.invoke(TRIM_OPERATION, params, signature);
            return () ->
            {
                try
                {
                    commands.invoke(TRIM_OPERATION, params, signature);
                }
                catch (final JMException | RuntimeException ex)
                {
                    LOG.debug("native heap trim failed: {}", ex.toString());
                }
            };
        }
        catch (final ReflectiveOperationException | JMException | RuntimeException ex)
        {
            LOG.debug("no native heap trim in this JVM: {}", ex.toString());
            return () ->
            {
            };
        }
    }
}
