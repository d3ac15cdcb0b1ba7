package dev.tern;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards the package structure of core: the packages depend on each other without cycles, and the ring contract
 * between transports and core ({@code dev.tern.ring}) depends on no other Tern package. Reads the sources: every type
 * {@code dev.tern.<package>.<Type>} a file names (import, qualified name or Javadoc link) is a dependency of its
 * package. Sub-packages count as packages of their own.
 */
class ArchitectureTest
{
    private static final Path SOURCES = Path.of("src", "main", "java", "dev", "tern");
    /** A type (or all types) of a Tern package, named by its full name: the group is the package. */
    private static final Pattern REFERENCE =
        Pattern.compile("\\bdev\\.tern\\.((?:[a-z][a-z0-9_]*\\.)*[a-z][a-z0-9_]*)\\.[A-Z*]");

    @Test
    void shouldHaveNoPackageCycles()
    {
        final Map<String, Map<String, String>> graph = dependencies();
        assertTrue(graph.containsKey("pipeline") && graph.containsKey("broker"), "sources read: " + graph.keySet());

        final List<List<String>> cycles = cycles(graph);
        assertTrue(cycles.isEmpty(), () -> describe(cycles, graph));
    }

    @Test
    void shouldKeepRingContractFreeOfCorePackages()
    {
        final Map<String, String> uses = dependencies().get("ring");
        assertTrue(uses != null && uses.isEmpty(), "dev.tern.ring depends on " + uses);
    }

    @Test
    void shouldFindACycleWhereThereIsOne()
    {
        final Map<String, Map<String, String>> graph = new TreeMap<>();
        graph.put("a", Map.of("b", "A.java"));
        graph.put("b", Map.of("c", "B.java"));
        graph.put("c", Map.of("a", "C.java"));
        graph.put("d", Map.of("a", "D.java"));

        assertEquals(List.of(List.of("a", "b", "c")), cycles(graph));
    }

    /** @return package -> (package it uses -> first file that shows it), for core's main sources. */
    private static Map<String, Map<String, String>> dependencies()
    {
        final Map<String, Map<String, String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".java"))::iterator)
            {
                final String from = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                final Map<String, String> uses = graph.computeIfAbsent(from, k -> new TreeMap<>());
                for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
                {
                    if (line.startsWith("package "))
                    {
                        continue;
                    }
                    final Matcher matcher = REFERENCE.matcher(line);
                    while (matcher.find())
                    {
                        final String to = matcher.group(1);
                        if (!to.equals(from))
                        {
                            uses.putIfAbsent(to, SOURCES.relativize(file) + ": " + line.trim());
                        }
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return graph;
    }

    /** @return the strongly connected components of more than one package (Tarjan), each sorted. */
    private static List<List<String>> cycles(final Map<String, Map<String, String>> graph)
    {
        final Tarjan tarjan = new Tarjan(graph);
        for (final String node : graph.keySet())
        {
            if (!tarjan.index.containsKey(node))
            {
                tarjan.visit(node);
            }
        }
        return tarjan.components;
    }

    private static String describe(final List<List<String>> cycles, final Map<String, Map<String, String>> graph)
    {
        final StringBuilder text = new StringBuilder("package cycles in core:");
        for (final List<String> cycle : cycles)
        {
            text.append("\n  ").append(cycle);
            for (final String from : cycle)
            {
                for (final String to : cycle)
                {
                    final String where = graph.get(from).get(to);
                    if (where != null)
                    {
                        text.append("\n    ").append(from).append(" -> ").append(to).append(" (").append(where)
                            .append(')');
                    }
                }
            }
        }
        return text.toString();
    }

    private static final class Tarjan
    {
        private final Map<String, Map<String, String>> graph;
        private final Map<String, Integer> index = new TreeMap<>();
        private final Map<String, Integer> low = new TreeMap<>();
        private final List<String> stack = new ArrayList<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<List<String>> components = new ArrayList<>();

        Tarjan(final Map<String, Map<String, String>> graph)
        {
            this.graph = graph;
        }

        void visit(final String node)
        {
            index.put(node, index.size());
            low.put(node, index.get(node));
            stack.add(node);
            onStack.add(node);
            for (final String next : graph.getOrDefault(node, Map.of()).keySet())
            {
                if (!index.containsKey(next))
                {
                    visit(next);
                    low.put(node, Math.min(low.get(node), low.get(next)));
                }
                else if (onStack.contains(next))
                {
                    low.put(node, Math.min(low.get(node), index.get(next)));
                }
            }
            if (low.get(node).equals(index.get(node)))
            {
                final List<String> component = new ArrayList<>();
                String member;
                do
                {
                    member = stack.remove(stack.size() - 1);
                    onStack.remove(member);
                    component.add(member);
                }
                while (!member.equals(node));
                if (component.size() > 1)
                {
                    component.sort(null);
                    components.add(component);
                }
            }
        }
    }
}
