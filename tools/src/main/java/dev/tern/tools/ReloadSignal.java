package dev.tern.tools;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP reloads the standalone broker, as it does Mosquitto ({@link TernLauncher#reload()}), instead of the JVM's
 * default of shutting down. Uses {@code sun.misc.Signal} (module jdk.unsupported); where that or the signal is not
 * available (another platform, or a JVM started with {@code -Xrs}) it only logs so.
 */
final class ReloadSignal
{
    private static final Logger LOG = LoggerFactory.getLogger(ReloadSignal.class);

    private ReloadSignal()
    {
    }

    /**
     * @param launcher the broker to reload on SIGHUP.
     * @return whether the handler is installed.
     */
    static boolean install(final TernLauncher launcher)
    {
        try
        {
            // the handler runs on a thread of its own, which the reload may block while the route thread swaps
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal ->
            {
                LOG.info("SIGHUP: reloading");
                launcher.reload();
            });
            return true;
        }
        catch (final IllegalArgumentException | UnsupportedOperationException | LinkageError ex)
        {
            LOG.warn("SIGHUP cannot be handled here ({}): reload needs a restart", ex.toString());
            return false;
        }
    }
}
