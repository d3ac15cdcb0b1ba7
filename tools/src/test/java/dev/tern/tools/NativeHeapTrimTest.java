package dev.tern.tools;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;

import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NativeHeapTrimTest
{
    @Test
    @Timeout(30)
    void shouldTrimEveryIntervalWhenTheCommandLineDoesNot() throws Exception
    {
        final HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        boolean hasFlag;
        try
        {
            hasFlag = "0".equals(hotSpot.getVMOption("TrimNativeHeapInterval").getValue());
        }
        catch (final IllegalArgumentException ex)
        {
            hasFlag = false;
        }
        assumeTrue(hasFlag, "a JDK with -XX:TrimNativeHeapInterval (17.0.9 and later), not set for this JVM");

        // the command the thread runs works on this JVM
        NativeHeapTrim.trim(ManagementFactory.getPlatformMBeanServer(),
            new ObjectName("com.sun.management:type=DiagnosticCommand"));
        assertTrue(NativeHeapTrim.startIfNotConfigured());
        assertTrue(Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().equals("tern-trim") && t.isDaemon() && t.isAlive()), "a daemon tern-trim thread");
    }

    @Test
    void shouldTrimOnlyAfterTheFootprintGrewByTheThresholdAboveItsLowPoint()
    {
        final long mib = 1L << 20;
        assertFalse(NativeHeapTrim.dueAfter(61 * mib, 61 * mib), "idle: no trim, no MBean server");
        assertFalse(NativeHeapTrim.dueAfter(61 * mib, 76 * mib));
        assertTrue(NativeHeapTrim.dueAfter(61 * mib, 77 * mib), "a burst grew it");
        assertFalse(NativeHeapTrim.dueAfter(120 * mib, 60 * mib), "it shrank by itself");
        assertTrue(NativeHeapTrim.footprint() > 0);
    }
}
