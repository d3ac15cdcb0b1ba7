package dev.tern.examples;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The README's Embedding section, checked against the code: its snippets are the marked parts of the example classes
 * (so they compile with the build), and the examples run in a fresh JVM started with exactly the flags and system
 * properties that section lists, nothing else.
 */
class EmbeddingExampleTest
{
    private static final Path README = Path.of("../README.md");

    private static String embedding;
    private static List<String> coreFlags;
    private static List<String> journalFlags;

    @TempDir
    Path dir;

    @BeforeAll
    static void readReadme() throws IOException
    {
        final String readme = Files.readString(README);
        final int start = readme.indexOf("\n## Embedding\n");
        assertTrue(start >= 0, "README has an Embedding section");
        final int end = readme.indexOf("\n## ", start + 1);
        embedding = readme.substring(start, end < 0 ? readme.length() : end);
        coreFlags = fencedBlockWith("jdk.internal.misc");
        journalFlags = fencedBlockWith("sun.nio.ch");
    }

    @Test
    void shouldShowTheExampleCodeInTheReadme() throws IOException
    {
        for (final String example : List.of("EmbeddedBroker", "EmbeddedBrokerWithJournal"))
        {
            final String snippet = snippet(Path.of("src/main/java/dev/tern/examples/" + example + ".java"));
            assertTrue(normalize(embedding).contains(normalize(snippet)),
                "the README's Embedding section shows " + example + " as it is:\n" + snippet);
        }
        assertTrue(embedding.contains("<artifactId>tern-transport-nio</artifactId>"), "coordinates");
        assertTrue(embedding.contains("<artifactId>tern-journal</artifactId>"), "coordinates");
    }

    @Test
    void shouldListOneFlagForTheCoreAndTheChronicleFlagsAndProperties()
    {
        assertEquals(List.of("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"), coreFlags);
        assertEquals(List.of(
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "-Dchronicle.analytics.disable=true",
            "-Dchronicle.announcer.disable=true"), journalFlags);
    }

    @Test
    @Timeout(120)
    void shouldRunTheInMemoryExampleWithTheCoreFlag() throws Exception
    {
        final Result result = java(coreFlags, "dev.tern.examples.EmbeddedBroker");

        assertEquals(0, result.exitCode, result.output);
        assertTrue(result.output.contains("\nsensors/t1 21.5\n") || result.output.startsWith("sensors/t1 21.5\n"),
            result.output);
        assertFalse(result.output.contains("Exception") || result.output.contains("Error"), result.output);
    }

    @Test
    @Timeout(120)
    void shouldFailWithIllegalAccessWithoutTheCoreFlag() throws Exception
    {
        final Result result = java(List.of(), "dev.tern.examples.EmbeddedBroker");

        assertEquals(1, result.exitCode, result.output);
        assertTrue(result.output.contains("IllegalAccessError"), result.output);
    }

    @Test
    @Timeout(180)
    void shouldRunTheJournalExampleWithTheListedFlagsAndNoBanner() throws Exception
    {
        final List<String> flags = new ArrayList<>(coreFlags);
        flags.addAll(journalFlags);
        final String journal = dir.resolve("journal").toString();

        final Result first = java(flags, "dev.tern.examples.EmbeddedBrokerWithJournal", journal);
        final Result second = java(flags, "dev.tern.examples.EmbeddedBrokerWithJournal", journal);

        assertEquals(0, first.exitCode, first.output);
        assertTrue(first.output.contains("\nsensors/t1 21.5\n"), first.output);
        assertFalse(first.output.contains("retained:"), first.output);
        assertEquals(0, second.exitCode, second.output);
        assertTrue(second.output.contains("\nretained: sensors/t1 21.5\n"), "replayed from the journal: "
            + second.output);
        for (final Result result : List.of(first, second))
        {
            // Chronicle reports missing flags as ERROR/WARN lines or exceptions, and its banner names its site
            assertFalse(result.output.contains("WARN") || result.output.contains("ERROR"), result.output);
            assertFalse(result.output.contains("Exception"), result.output);
            assertFalse(result.output.contains("chronicle.software"), "no Chronicle banner: " + result.output);
        }
    }

    private static List<String> fencedBlockWith(final String marker)
    {
        final Matcher m = Pattern.compile("```[a-z]*\\n(.*?)```", Pattern.DOTALL).matcher(embedding);
        while (m.find())
        {
            if (m.group(1).contains(marker))
            {
                return List.of(m.group(1).trim().split("\\s+"));
            }
        }
        return fail("README Embedding section has a code block with " + marker);
    }

    /** The lines between the example's README markers. */
    private static String snippet(final Path source) throws IOException
    {
        final String text = Files.readString(source);
        final int begin = text.indexOf('\n', text.indexOf("// --- README: Embedding")) + 1;
        final int end = text.lastIndexOf('\n', text.indexOf("// --- README: Embedding", begin));
        return text.substring(begin, end);
    }

    /** Compare code ignoring indentation. */
    private static String normalize(final String code)
    {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining("\n"));
    }

    private Result java(final List<String> flags, final String mainClass, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), mainClass + " ended");
        return new Result(process.exitValue(), output);
    }

    private record Result(int exitCode, String output)
    {
    }
}
