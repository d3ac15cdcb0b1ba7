package dev.tern.tools;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;

import java.lang.management.ManagementFactory;

/**
 * Gives back, once, the heap that starting the standalone broker left behind, and lets the heap follow what is live.
 * <p>
 * Without {@code -Xms} the JVM sizes the initial heap from the machine's RAM (1/64 of it), and parsing the
 * configuration, loading classes and replaying a journal leave garbage in it whose pages stay resident: some 20 MiB
 * of an idle broker's RSS on a 24 GiB host. One full collection once the listeners are open compacts what is live,
 * and G1 then shrinks the heap towards it and unmaps the rest; the heap grows again as load needs. It runs before a
 * warmed-up broker serves anyone, so it costs no throughput. {@code -XX:+DisableExplicitGC} turns it off.
 * <p>
 * G1 shrinks the heap after a full collection or a concurrent cycle only down to what keeps
 * {@code MaxHeapFreeRatio} percent of it free, 70 % by default: a broker holding 50 MiB of idle connections' state
 * would keep some 170 MiB of heap resident. The standalone broker lowers the ratios to {@link #MAX_HEAP_FREE_RATIO}
 * and {@link #MIN_HEAP_FREE_RATIO} (what {@code bin/tern} passes on its command line; a {@code java -jar} cannot) unless
 * the command line set them. Both flags are manageable, so this is the JVM's own supported way to change them; young
 * collections, which size the heap under load, do not use them.
 */
final class StartupMemory
{
    /** Percent of the heap left free, at most, after a full collection or concurrent cycle shrank it. */
    static final int MAX_HEAP_FREE_RATIO = 30;
    /** Percent of the heap left free, at least, after a full collection or concurrent cycle: below it, it grows. */
    static final int MIN_HEAP_FREE_RATIO = 10;

    private StartupMemory()
    {
    }

    static void release()
    {
        try
        {
            lowerHeapFreeRatios(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class));
        }
        catch (final LinkageError | IllegalArgumentException ex)
        {
            // a runtime without the jdk.management module, or not HotSpot: its own heap sizing stays
        }
        System.gc();
        NativeHeapTrim.startIfNotConfigured();
    }

    /**
     * Set the heap free ratios to Tern's defaults where the command line left the JVM's (minimum first: it may not
     * exceed the maximum).
     *
     * @return whether both were changed.
     */
    static boolean lowerHeapFreeRatios(final HotSpotDiagnosticMXBean hotSpot)
    {
        if (hotSpot == null || !isDefault(hotSpot, "MinHeapFreeRatio") || !isDefault(hotSpot, "MaxHeapFreeRatio"))
        {
            return false;
        }
        try
        {
            hotSpot.setVMOption("MinHeapFreeRatio", Integer.toString(MIN_HEAP_FREE_RATIO));
            hotSpot.setVMOption("MaxHeapFreeRatio", Integer.toString(MAX_HEAP_FREE_RATIO));
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false; // a JVM without these flags, or whose collector refuses them: its own defaults stay
        }
    }

    private static boolean isDefault(final HotSpotDiagnosticMXBean hotSpot, final String name)
    {
        try
        {
            return hotSpot.getVMOption(name).getOrigin() == VMOption.Origin.DEFAULT;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }
}
