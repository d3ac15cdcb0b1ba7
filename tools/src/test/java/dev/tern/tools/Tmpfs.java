package dev.tern.tools;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for a test, to run out of space for real. Needs root on Linux (CI runs as root); tests skip
 * themselves elsewhere with {@link #SKIP_REASON}.
 */
final class Tmpfs implements AutoCloseable
{
    static final String SKIP_REASON = "needs root on Linux to mount a tmpfs (CI runs as root); skipped";

    private final Path mountPoint;

    private Tmpfs(final Path mountPoint)
    {
        this.mountPoint = mountPoint;
    }

    static boolean available()
    {
        return System.getProperty("os.name", "").startsWith("Linux") && "root".equals(System.getProperty("user.name"));
    }

    /**
     * Mount a tmpfs of {@code size} (e.g. {@code 2m}) on a new directory; the test is skipped, with the reason, where
     * root may not mount (a container without the capability).
     */
    static Tmpfs mount(final Path mountPoint, final String size) throws IOException, InterruptedException
    {
        Files.createDirectories(mountPoint);
        try
        {
            run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mountPoint.toString());
        }
        catch (final IOException ex)
        {
            Assumptions.abort("cannot mount a tmpfs, skipped: " + ex.getMessage());
        }
        return new Tmpfs(mountPoint);
    }

    /** Grow (or shrink) the file system in place: space comes back without touching the files. */
    void resize(final String size) throws IOException, InterruptedException
    {
        run("mount", "-o", "remount,size=" + size, mountPoint.toString());
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        try
        {
            run("umount", mountPoint.toString());
        }
        catch (final IOException busy)
        {
            run("umount", "-l", mountPoint.toString()); // still mapped by a broker that failed to close
        }
    }

    private static void run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            throw new IOException(String.join(" ", command) + " failed: " + output.trim());
        }
    }
}
