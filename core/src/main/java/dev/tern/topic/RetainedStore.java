package dev.tern.topic;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Retained messages by topic name, kept as a tree of topic levels so that a new subscription's filter walks only the
 * branches it can match: a filter without wildcards is a single path lookup, '+' fans out over one level and '#'
 * walks one subtree. Matching follows the same rules as {@link TopicTrie}, including [MQTT-4.7.2-1] for topics that
 * start with '$'.
 * <p>
 * Subscribing and publishing retained messages are far rarer than routing, so this structure favours simplicity
 * (string levels in hash maps) over the allocation-free lookups of {@link TopicTrie}. Not thread-safe: owned by the
 * single route thread.
 *
 * @param <M> message type.
 */
public final class RetainedStore<M>
{
    private static final char SEPARATOR = '/';

    private final Node<M> root = new Node<>(null, null);
    private int size;

    /**
     * Receives retained messages from {@link #match} and {@link #forEach}. It must not put or remove messages on the
     * store while it is being called.
     *
     * @param <M> message type.
     */
    @FunctionalInterface
    public interface RetainedVisitor<M>
    {
        void onRetained(String topic, M message);
    }

    /**
     * Store the retained message for a topic, replacing any previous one.
     *
     * @param topic   topic name (no wildcards).
     * @param message the message; clearing a topic is {@link #remove}, not a null message.
     * @return the previous message for the topic, or null.
     */
    public M put(final String topic, final M message)
    {
        Objects.requireNonNull(message, "message");
        Node<M> node = root;
        int start = 0;
        while (true)
        {
            final int end = levelEnd(topic, start);
            node = node.childOrCreate(topic.substring(start, end));
            if (end == topic.length())
            {
                break;
            }
            start = end + 1;
        }
        final M previous = node.message;
        node.message = message;
        node.topic = topic;
        if (previous == null)
        {
            size++;
        }
        return previous;
    }

    /** @return the retained message for the topic, or null. */
    public M get(final String topic)
    {
        final Node<M> node = find(topic);
        return node == null ? null : node.message;
    }

    /**
     * Clear the retained message for a topic; levels left with neither a message nor children are unlinked.
     *
     * @return the removed message, or null if there was none.
     */
    public M remove(final String topic)
    {
        final Node<M> node = find(topic);
        if (node == null || node.message == null)
        {
            return null;
        }
        final M previous = node.message;
        node.message = null;
        node.topic = null;
        size--;
        prune(node);
        return previous;
    }

    /** @return the number of retained messages. */
    public int size()
    {
        return size;
    }

    /**
     * Visit every retained message whose topic matches the filter, in no particular order.
     *
     * @param filter topic filter, already validated.
     */
    public void match(final String filter, final RetainedVisitor<M> visitor)
    {
        matchLevel(root, filter.split("/", -1), 0, visitor);
    }

    /** Visit every retained message, in no particular order. */
    public void forEach(final RetainedVisitor<M> visitor)
    {
        visitSubtree(root, visitor);
    }

    /** @return the number of nodes below the root; lets tests check pruning. */
    int nodeCount()
    {
        return root.countDescendants();
    }

    // ------------------------------------------------------------------ matching

    private void matchLevel(final Node<M> node, final String[] levels, final int index, final RetainedVisitor<M> visitor)
    {
        if (index == levels.length)
        {
            node.visit(visitor);
            return;
        }
        final String level = levels[index];
        final boolean multiLevel = level.equals("#") && index == levels.length - 1;
        if (multiLevel && index > 0)
        {
            node.visit(visitor); // "sport/#" also matches "sport" [MQTT-4.7.1-2], even when "sport" has no children
        }
        if (node.children == null)
        {
            return;
        }
        // [MQTT-4.7.2-1] a wildcard in the first level does not match topics starting with '$'
        final boolean skipDollar = index == 0;
        if (multiLevel)
        {
            for (final Map.Entry<String, Node<M>> e : node.children.entrySet())
            {
                if (!(skipDollar && isDollar(e.getKey())))
                {
                    visitSubtree(e.getValue(), visitor);
                }
            }
        }
        else if (level.equals("+"))
        {
            for (final Map.Entry<String, Node<M>> e : node.children.entrySet())
            {
                if (!(skipDollar && isDollar(e.getKey())))
                {
                    matchLevel(e.getValue(), levels, index + 1, visitor);
                }
            }
        }
        else
        {
            final Node<M> child = node.children.get(level);
            if (child != null)
            {
                matchLevel(child, levels, index + 1, visitor);
            }
        }
    }

    private static <M> void visitSubtree(final Node<M> node, final RetainedVisitor<M> visitor)
    {
        node.visit(visitor);
        if (node.children != null)
        {
            for (final Node<M> child : node.children.values())
            {
                visitSubtree(child, visitor);
            }
        }
    }

    private static boolean isDollar(final String level)
    {
        return !level.isEmpty() && level.charAt(0) == '$';
    }

    // ------------------------------------------------------------------ structure

    private Node<M> find(final String topic)
    {
        Node<M> node = root;
        int start = 0;
        while (true)
        {
            final int end = levelEnd(topic, start);
            node = node.child(topic.substring(start, end));
            if (node == null || end == topic.length())
            {
                return node;
            }
            start = end + 1;
        }
    }

    private static <M> void prune(final Node<M> from)
    {
        Node<M> node = from;
        while (node.parent != null && node.isEmpty())
        {
            node.parent.removeChild(node.level);
            node = node.parent;
        }
    }

    private static int levelEnd(final String topic, final int from)
    {
        final int end = topic.indexOf(SEPARATOR, from);
        return end < 0 ? topic.length() : end;
    }

    /** One topic level; {@code topic} is kept so visitors get the name without rebuilding it from the path. */
    private static final class Node<M>
    {
        final Node<M> parent;
        final String level;
        Map<String, Node<M>> children; // created on first child: most nodes are leaves
        M message;
        String topic;

        Node(final Node<M> parent, final String level)
        {
            this.parent = parent;
            this.level = level;
        }

        Node<M> child(final String childLevel)
        {
            return children == null ? null : children.get(childLevel);
        }

        Node<M> childOrCreate(final String childLevel)
        {
            if (children == null)
            {
                children = new HashMap<>(4);
            }
            Node<M> child = children.get(childLevel);
            if (child == null)
            {
                child = new Node<>(this, childLevel);
                children.put(childLevel, child);
            }
            return child;
        }

        void removeChild(final String childLevel)
        {
            children.remove(childLevel);
            if (children.isEmpty())
            {
                children = null;
            }
        }

        void visit(final RetainedVisitor<M> visitor)
        {
            if (message != null)
            {
                visitor.onRetained(topic, message);
            }
        }

        boolean isEmpty()
        {
            return message == null && children == null;
        }

        int countDescendants()
        {
            int count = 0;
            if (children != null)
            {
                for (final Node<M> child : children.values())
                {
                    count += 1 + child.countDescendants();
                }
            }
            return count;
        }
    }
}
