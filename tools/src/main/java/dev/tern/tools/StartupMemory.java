package dev.tern.tools;

/**
 * Gives back, once, the heap that starting the standalone broker left behind.
 * <p>
 * Without {@code -Xms} the JVM sizes the initial heap from the machine's RAM (1/64 of it), and parsing the
 * configuration, loading classes and replaying a journal leave garbage in it whose pages stay resident: some 20 MiB
 * of an idle broker's RSS on a 24 GiB host. One full collection once the listeners are open compacts what is live,
 * and G1 then shrinks the heap towards it and unmaps the rest; the heap grows again as load needs. It runs before a
 * warmed-up broker serves anyone, so it costs no throughput. {@code -XX:+DisableExplicitGC} turns it off.
 */
final class StartupMemory
{
    private StartupMemory()
    {
    }

    static void release()
    {
        System.gc();
    }
}
