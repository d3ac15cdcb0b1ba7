package dev.tern.tools;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StartupMemoryTest
{
    @Test
    void shouldLowerTheHeapFreeRatiosOnlyWhereTheCommandLineLeftThem()
    {
        final HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        assumeTrue(hotSpot.getVMOption("MaxHeapFreeRatio").getOrigin() == VMOption.Origin.DEFAULT &&
            hotSpot.getVMOption("MinHeapFreeRatio").getOrigin() == VMOption.Origin.DEFAULT,
            "this JVM was started without the heap free ratios");
        final String maxBefore = hotSpot.getVMOption("MaxHeapFreeRatio").getValue();
        final String minBefore = hotSpot.getVMOption("MinHeapFreeRatio").getValue();
        try
        {
            assertTrue(StartupMemory.lowerHeapFreeRatios(hotSpot));
            assertEquals("30", hotSpot.getVMOption("MaxHeapFreeRatio").getValue());
            assertEquals("10", hotSpot.getVMOption("MinHeapFreeRatio").getValue());

            // set by someone else now (as a command line would): left alone
            hotSpot.setVMOption("MaxHeapFreeRatio", "50");
            assertFalse(StartupMemory.lowerHeapFreeRatios(hotSpot));
            assertEquals("50", hotSpot.getVMOption("MaxHeapFreeRatio").getValue());
        }
        finally
        {
            hotSpot.setVMOption("MaxHeapFreeRatio", maxBefore);
            hotSpot.setVMOption("MinHeapFreeRatio", minBefore);
        }
    }
}
