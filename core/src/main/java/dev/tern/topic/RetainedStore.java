package dev.tern.topic;

import java.util.HashMap;
import java.util.Map;

/**
 * Retained messages by topic name, as a tree of levels so that a new subscription's filter walks only the matching
 * branches. Single-threaded: owned by the route stage.
 *
 * @param <M> message type.
 */
public final class RetainedStore<M>
{
    private final Node<M> root = new Node<>();
    private int size;

    /** Receives retained messages. */
    @FunctionalInterface
    public interface RetainedVisitor<M>
    {
        void onRetained(String topic, M message);
    }

    /** @return the previous message for the topic, or null. */
    public M put(final String topic, final M message)
    {
        Node<M> node = root;
        for (final String level : topic.split("/", -1))
        {
            node = node.children.computeIfAbsent(level, l -> new Node<>());
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

    public M get(final String topic)
    {
        final Node<M> node = find(topic);
        return node == null ? null : node.message;
    }

    /** @return the removed message, or null. */
    public M remove(final String topic)
    {
        final String[] levels = topic.split("/", -1);
        final Node<?>[] path = new Node<?>[levels.length + 1];
        Node<M> node = root;
        path[0] = root;
        for (int i = 0; i < levels.length; i++)
        {
            node = node.children.get(levels[i]);
            if (node == null)
            {
                return null;
            }
            path[i + 1] = node;
        }
        final M previous = node.message;
        if (previous == null)
        {
            return null;
        }
        node.message = null;
        node.topic = null;
        size--;
        // prune empty nodes bottom-up so topics that come and go do not leak
        for (int i = levels.length; i > 0; i--)
        {
            final Node<?> n = path[i];
            if (n.message != null || !n.children.isEmpty())
            {
                break;
            }
            path[i - 1].children.remove(levels[i - 1]);
        }
        return previous;
    }

    public int size()
    {
        return size;
    }

    /**
     * Visit every retained message whose topic matches the filter; topics starting with '$' are not matched by a
     * leading wildcard [MQTT-4.7.2-1].
     */
    public void match(final String filter, final RetainedVisitor<M> visitor)
    {
        match(root, filter.split("/", -1), 0, visitor, true);
    }

    public void forEach(final RetainedVisitor<M> visitor)
    {
        visitSubtree(root, visitor, false);
    }

    private void match(
        final Node<M> node, final String[] levels, final int index, final RetainedVisitor<M> visitor, final boolean first)
    {
        if (index == levels.length)
        {
            if (node.message != null)
            {
                visitor.onRetained(node.topic, node.message);
            }
            return;
        }
        final String level = levels[index];
        if ("#".equals(level))
        {
            // '#' matches the parent level too: "a/#" matches "a" [MQTT-4.7.1-2]
            if (!first && node.message != null)
            {
                visitor.onRetained(node.topic, node.message);
            }
            for (final Map.Entry<String, Node<M>> e : node.children.entrySet())
            {
                if (!(first && e.getKey().startsWith("$")))
                {
                    visitSubtree(e.getValue(), visitor, true);
                }
            }
        }
        else if ("+".equals(level))
        {
            for (final Map.Entry<String, Node<M>> e : node.children.entrySet())
            {
                if (!(first && e.getKey().startsWith("$")))
                {
                    match(e.getValue(), levels, index + 1, visitor, false);
                }
            }
        }
        else
        {
            final Node<M> child = node.children.get(level);
            if (child != null)
            {
                match(child, levels, index + 1, visitor, false);
            }
        }
    }

    private void visitSubtree(final Node<M> node, final RetainedVisitor<M> visitor, final boolean includeSelf)
    {
        if (includeSelf && node.message != null)
        {
            visitor.onRetained(node.topic, node.message);
        }
        for (final Node<M> child : node.children.values())
        {
            visitSubtree(child, visitor, true);
        }
    }

    private Node<M> find(final String topic)
    {
        Node<M> node = root;
        for (final String level : topic.split("/", -1))
        {
            node = node.children.get(level);
            if (node == null)
            {
                return null;
            }
        }
        return node;
    }

    private static final class Node<M>
    {
        final Map<String, Node<M>> children = new HashMap<>(4);
        M message;
        String topic;
    }
}
