package dev.tern.tools;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What {@code -XX:TrimNativeHeapInterval=10000} does for {@code bin/tern}, for a standalone broker started with
 * {@code java -jar}, which cannot set it: every 10 s, the JVM's {@code System.trim_native_heap} command returns to the
 * system the memory that the C library keeps after the JVM freed it (the JIT compilers' work areas, G1's tables, pooled
 * buffers freed after a burst of connections: some 20 MiB after 20,000 connections opened at once). A daemon thread
 * that sleeps in between. Not started when the command line set the interval, or on a JVM without the command.
 * <p>
 * The command is reached through the platform MBean server, whose own classes and objects cost some 3 MiB of an idle
 * broker's RSS, more than a trim gives back after start. So the thread runs it, and makes the server, only once the
 * resident set (or, where {@code /proc} does not tell it, the committed heap) has grown by {@link #TRIM_AFTER_GROWTH}
 * since its lowest point after the last trim: the mark of a burst of work, after which the C library holds freed
 * memory.
 */
final class NativeHeapTrim
{
    static final long INTERVAL_MS = 10_000;
    /** How far the resident set grows above its low point before the next trim. */
    static final long TRIM_AFTER_GROWTH = 16L << 20;
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final String COMMAND = "systemTrimNativeHeap";

    private NativeHeapTrim()
    {
    }

    /** @return whether the trimming thread started. */
    static boolean startIfNotConfigured()
    {
        try
        {
            final HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (hotSpot == null || !"0".equals(hotSpot.getVMOption("TrimNativeHeapInterval").getValue()))
            {
                return false; // set on the command line (bin/tern), so the JVM trims by itself
            }
            final ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            final Thread thread = new Thread(() -> run(name), "tern-trim");
            thread.setDaemon(true);
            thread.start();
            return true;
        }
        catch (final Exception | LinkageError ex)
        {
            return false; // no such flag or command (JDK before 17.0.9), or no jdk.management module
        }
    }

    private static void run(final ObjectName name)
    {
        try
        {
            MBeanServer server = null;
            long low = footprint();
            while (true)
            {
                TimeUnit.MILLISECONDS.sleep(INTERVAL_MS);
                final long now = footprint();
                if (dueAfter(low, now))
                {
                    if (server == null)
                    {
                        server = ManagementFactory.getPlatformMBeanServer();
                    }
                    trim(server, name);
                    low = footprint();
                }
                else
                {
                    low = Math.min(low, now);
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final Exception ex)
        {
            // the command failed: stop trying, the broker runs on as it would without
        }
    }

    /**
     * @param low bytes at the low point since the last trim (or since start).
     * @param now bytes now.
     * @return whether the footprint grew far enough for a trim to be worth making the MBean server.
     */
    static boolean dueAfter(final long low, final long now)
    {
        return now - low >= TRIM_AFTER_GROWTH;
    }

    /** @return this process's resident set in bytes from {@code /proc}, else the committed heap. */
    static long footprint()
    {
        try
        {
            for (final String line : Files.readAllLines(STATUS))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.replaceAll("\\D", "")) << 10;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // not Linux
        }
        return Runtime.getRuntime().totalMemory();
    }

    static void trim(final MBeanServer server, final ObjectName name) throws Exception
    {
        server.invoke(name, COMMAND, new Object[] {new String[0]}, new String[] {String[].class.getName()});
    }
}
