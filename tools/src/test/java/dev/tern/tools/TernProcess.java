package dev.tern.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A standalone broker in its own JVM, its output (stderr and stdout) read line by line as an operator would. */
final class TernProcess implements AutoCloseable
{
    private static final Pattern LISTENING = Pattern.compile("listening on tcp 127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final Thread reader;

    private TernProcess(final Process process)
    {
        this.process = process;
        reader = new Thread(() ->
        {
            try (BufferedReader in = process.inputReader(StandardCharsets.UTF_8))
            {
                for (String line = in.readLine(); line != null; line = in.readLine())
                {
                    lines.add(line);
                }
            }
            catch (final IOException ended)
            {
                // the process was stopped
            }
        }, "broker-log");
        reader.setDaemon(true);
        reader.start();
    }

    /** Follow the output of a broker started some other way (for example {@code bin/tern}). */
    static TernProcess of(final Process process)
    {
        return new TernProcess(process);
    }

    /** Start {@link TernMain} with {@code args} in a JVM of its own, with this JVM's flags and a 256 MiB heap. */
    static TernProcess start(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle"))
            {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TernMain.class.getName()));
        command.addAll(List.of(args));
        return new TernProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** @return the process id (the JVM's, also when started through bin/tern, which execs java). */
    long pid()
    {
        return process.pid();
    }

    /** @return the port of the first TCP listener, from its "listening on" line. */
    int port() throws InterruptedException
    {
        final Matcher matcher = LISTENING.matcher(await(l -> LISTENING.matcher(l).find()));
        assertTrue(matcher.find());
        return Integer.parseInt(matcher.group(1));
    }

    /** @return the "started" line, once the broker has started; fails after 60 s or if the process ends. */
    String awaitStarted() throws InterruptedException
    {
        return await(l -> l.contains("Tern ") && l.contains(" started"));
    }

    /** @return the first line, seen or still to come, that matches; fails after 60 s or if the process ends. */
    String await(final Predicate<String> match) throws InterruptedException
    {
        for (final String line : seen)
        {
            if (match.test(line))
            {
                return line;
            }
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            final String line = lines.poll(1, TimeUnit.SECONDS);
            if (line != null)
            {
                seen.add(line);
                if (match.test(line))
                {
                    return line;
                }
            }
            else if (!process.isAlive() && lines.isEmpty() || System.nanoTime() - deadlineNs > 0)
            {
                return fail("no matching line; output:\n" + String.join("\n", seen));
            }
        }
    }

    /** @return whether a line written so far matches; does not wait. */
    boolean hasLine(final Predicate<String> match)
    {
        lines.drainTo(seen);
        return seen.stream().anyMatch(match);
    }

    /** @return how many lines written so far match; does not wait. */
    long countLines(final Predicate<String> match)
    {
        lines.drainTo(seen);
        return seen.stream().filter(match).count();
    }

    /** @return the last {@code count} lines written so far; does not wait. */
    String tail(final int count)
    {
        lines.drainTo(seen);
        return String.join("\n", seen.subList(Math.max(0, seen.size() - count), seen.size()));
    }

    /** Stop the broker as Ctrl-C would and return everything it wrote. */
    List<String> stop() throws InterruptedException
    {
        process.destroy();
        awaitExit();
        return lines();
    }

    /** Kill the broker as {@code kill -9} does (SIGKILL on Linux): no shutdown hook, nothing flushed. */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "broker did not die");
    }

    int awaitExit() throws InterruptedException
    {
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "broker did not exit");
        return process.exitValue();
    }

    /** @return every line written, once the process has ended and its output is read to the end. */
    List<String> lines() throws InterruptedException
    {
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "broker did not exit");
        reader.join(TimeUnit.SECONDS.toMillis(30)); // its output read to the end
        lines.drainTo(seen);
        return List.copyOf(seen);
    }

    @Override
    public void close() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
        }
    }
}
