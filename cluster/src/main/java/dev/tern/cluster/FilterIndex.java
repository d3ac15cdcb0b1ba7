package dev.tern.cluster;

import java.util.HashMap;
import java.util.Map;

/**
 * Topic filter to members: which members have at least one subscriber for a filter, as a bit set of member ids, in a
 * trie of filter levels. Matching a topic gives the members a publish must be forwarded to. One thread owns it (the
 * member's agent); the replicated state it mirrors lives in {@link TernClusteredService}.
 */
final class FilterIndex
{
    private static final class Node
    {
        final Map<String, Node> children = new HashMap<>();
        /** Members by filter as subscribed: {@code a/b} and {@code $share/g/a/b} end at the same node. */
        final Map<String, Integer> byFilter = new HashMap<>();
        int members;
        int filters; // filters at or below this node, to prune empty branches
    }

    private final Node root = new Node();

    /**
     * Set the members of a filter; 0 removes it. A shared subscription ({@code $share/group/filter}) is indexed under
     * its filter.
     */
    void put(final String filter, final int members)
    {
        final String[] levels = levels(filter);
        final Node leaf = find(levels);
        final boolean had = leaf != null && !leaf.byFilter.isEmpty();
        if (members == 0)
        {
            if (had && leaf.byFilter.remove(filter) != null)
            {
                leaf.members = union(leaf.byFilter);
                if (leaf.byFilter.isEmpty())
                {
                    prune(levels);
                }
            }
            return;
        }
        Node node = root;
        if (!had)
        {
            root.filters++;
        }
        for (final String level : levels)
        {
            node = node.children.computeIfAbsent(level, l -> new Node());
            if (!had)
            {
                node.filters++;
            }
        }
        node.byFilter.put(filter, members);
        node.members = union(node.byFilter);
    }

    private static int union(final Map<String, Integer> byFilter)
    {
        int members = 0;
        for (final int value : byFilter.values())
        {
            members |= value;
        }
        return members;
    }

    /** @return the members whose filters match {@code topic}. */
    int match(final String topic)
    {
        final String[] levels = topic.split("/", -1);
        return match(root, levels, 0, topic.startsWith("$"));
    }

    private static int match(final Node node, final String[] levels, final int depth, final boolean dollar)
    {
        int result = 0;
        // '#' also matches the parent level ("a/#" matches "a"); not at the first level of a $ topic [MQTT-4.7.2-1]
        final Node hash = node.children.get("#");
        if (hash != null && !(dollar && depth == 0))
        {
            result |= hash.members;
        }
        if (depth == levels.length)
        {
            return result | node.members;
        }
        final Node exact = node.children.get(levels[depth]);
        if (exact != null)
        {
            result |= match(exact, levels, depth + 1, dollar);
        }
        final Node plus = node.children.get("+");
        if (plus != null && !(dollar && depth == 0))
        {
            result |= match(plus, levels, depth + 1, dollar);
        }
        return result;
    }

    private Node find(final String[] levels)
    {
        Node node = root;
        for (final String level : levels)
        {
            node = node.children.get(level);
            if (node == null)
            {
                return null;
            }
        }
        return node;
    }

    private void prune(final String[] levels)
    {
        root.filters--;
        Node node = root;
        for (final String level : levels)
        {
            final Node child = node.children.get(level);
            if (--child.filters == 0)
            {
                node.children.remove(level);
                return;
            }
            node = child;
        }
    }

    static String[] levels(final String filter)
    {
        String plain = filter;
        if (filter.startsWith("$share/"))
        {
            final int slash = filter.indexOf('/', "$share/".length());
            plain = slash < 0 ? filter : filter.substring(slash + 1);
        }
        return plain.split("/", -1);
    }
}
