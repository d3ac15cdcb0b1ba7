package dev.tern.tools;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What {@code -XX:TrimNativeHeapInterval=10000} does for {@code bin/tern}, for a standalone broker started with
 * {@code java -jar}, which cannot set it: every 10 s, the JVM's {@code System.trim_native_heap} command returns to the
 * system the memory that the C library keeps after the JVM freed it (the JIT compilers' work areas, G1's tables, pooled
 * buffers freed after a burst of connections: some 20 MiB after 20,000 connections opened at once). A daemon thread
 * that sleeps in between. Not started when the command line set the interval, or on a JVM without the command.
 */
final class NativeHeapTrim
{
    static final long INTERVAL_MS = 10_000;
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
            final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            final ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            trim(server, name); // the command must exist; starting up left something to give back, too
            final Thread thread = new Thread(() -> run(server, name), "tern-trim");
            thread.setDaemon(true);
            thread.start();
            return true;
        }
        catch (final Exception | LinkageError ex)
        {
            return false; // no such flag or command (JDK before 17.0.9), or no jdk.management module
        }
    }

    private static void run(final MBeanServer server, final ObjectName name)
    {
        try
        {
            while (true)
            {
                TimeUnit.MILLISECONDS.sleep(INTERVAL_MS);
                trim(server, name);
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

    static void trim(final MBeanServer server, final ObjectName name) throws Exception
    {
        server.invoke(name, COMMAND, new Object[] {new String[0]}, new String[] {String[].class.getName()});
    }
}
