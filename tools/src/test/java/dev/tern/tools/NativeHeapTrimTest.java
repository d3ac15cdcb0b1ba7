package dev.tern.tools;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;

import javax.management.ObjectName;

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
}
