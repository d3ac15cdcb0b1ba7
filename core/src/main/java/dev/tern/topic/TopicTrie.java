package dev.tern.topic;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Subscriptions keyed by topic filter, one node per filter level (levels are split on '/'; empty levels are ordinary
 * levels, so "a//b", "/a" and "a/" each have three or two distinct levels).
 * <p>
 * Matching a topic follows, at each level, only the branches that can match: the literal level, '+' and '#'. It reads
 * the topic bytes in place and allocates nothing, because it runs once per PUBLISH on the route stage.
 * <p>
 * Filters are stored literally: validating them ({@code TopicValidator}) and interpreting shared subscriptions is the
 * caller's job. Not thread-safe: owned by the single route thread.
 *
 * @param <S> subscriber type; two subscribers are the same if {@link Object#equals} says so.
 */
public final class TopicTrie<S>
{
    private static final byte SEPARATOR = '/';
    private static final byte DOLLAR = '$';

    private final TrieNode root = new TrieNode(null, new byte[0], 0);
    private final int hashSeed = ThreadLocalRandom.current().nextInt();
    private int size;

    /**
     * Add a subscription, or update it if this subscriber already has exactly this filter.
     *
     * @param filter     topic filter, already validated.
     * @param subscriber who to report in {@link #match}.
     * @param options    opaque to the trie, handed back with each match (QoS in bits 0-1).
     * @return true if the subscription is new, false if it existed and only its options were replaced.
     */
    public boolean subscribe(final String filter, final S subscriber, final int options)
    {
        Objects.requireNonNull(subscriber, "subscriber");
        final byte[] bytes = filter.getBytes(StandardCharsets.UTF_8);
        TrieNode node = root;
        int start = 0;
        while (true)
        {
            final int end = levelEnd(bytes, start);
            TrieNode child = child(node, bytes, start, end);
            if (child == null)
            {
                child = addChild(node, bytes, start, end);
            }
            node = child;
            if (end == bytes.length)
            {
                break;
            }
            start = end + 1;
        }
        if (node.addSubscriber(subscriber, options))
        {
            size++;
            return true;
        }
        return false;
    }

    /**
     * Remove a subscription. Nodes left without subscriptions or children are unlinked, so filters that come and go
     * do not grow the trie.
     *
     * @return true if the subscriber had this filter.
     */
    public boolean unsubscribe(final String filter, final S subscriber)
    {
        Objects.requireNonNull(subscriber, "subscriber");
        final byte[] bytes = filter.getBytes(StandardCharsets.UTF_8);
        TrieNode node = root;
        int start = 0;
        while (true)
        {
            final int end = levelEnd(bytes, start);
            node = child(node, bytes, start, end);
            if (node == null)
            {
                return false;
            }
            if (end == bytes.length)
            {
                break;
            }
            start = end + 1;
        }
        if (!node.removeSubscriber(subscriber))
        {
            return false;
        }
        size--;
        prune(node);
        return true;
    }

    /** @return the number of (filter, subscriber) pairs. */
    public int size()
    {
        return size;
    }

    /**
     * Visit every subscription whose filter matches the topic name held as UTF-8 in
     * {@code topic[offset, offset + length)}. A subscriber with several matching filters is visited once per filter;
     * the order of visits is unspecified. Allocates nothing.
     * <p>
     * The visitor must not subscribe or unsubscribe on this trie while it is being called: collect, then act.
     */
    public void match(final DirectBuffer topic, final int offset, final int length, final MatchVisitor<S> visitor)
    {
        // [MQTT-4.7.2-1] a topic starting with '$' is not matched by a filter starting with a wildcard
        final boolean wildcards = length == 0 || topic.getByte(offset) != DOLLAR;
        matchLevel(root, topic, offset, offset + length, wildcards, visitor);
    }

    /**
     * Convenience form of {@link #match(DirectBuffer, int, int, MatchVisitor)} for tests and cold paths; it encodes
     * the topic, so it allocates.
     */
    public void match(final String topic, final MatchVisitor<S> visitor)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        match(new UnsafeBuffer(bytes), 0, bytes.length, visitor);
    }

    /** @return the number of nodes below the root; lets tests check pruning. */
    int nodeCount()
    {
        return root.countDescendants();
    }

    // ------------------------------------------------------------------ matching

    /** Match the topic level starting at {@code start} against the children of {@code node}. */
    private void matchLevel(
        final TrieNode node,
        final DirectBuffer topic,
        final int start,
        final int end,
        final boolean wildcards,
        final MatchVisitor<S> visitor)
    {
        if (wildcards && node.hashChild != null)
        {
            visitAll(node.hashChild, visitor); // '#' takes this level and everything after it
        }

        // Find where the level ends and hash it in the same pass, so each topic byte is read once here.
        int h = hashSeed;
        int i = start;
        while (i < end)
        {
            final byte b = topic.getByte(i);
            if (b == SEPARATOR)
            {
                break;
            }
            h = LevelHash.mix(h, b);
            i++;
        }

        if (wildcards && node.plusChild != null)
        {
            descend(node.plusChild, topic, i, end, visitor);
        }
        final TrieNode literal = node.findLiteral(topic, start, i - start, LevelHash.finish(h));
        if (literal != null)
        {
            descend(literal, topic, i, end, visitor);
        }
    }

    /** {@code node} matched the level ending at {@code levelEnd}: report it if the topic ends here, else go deeper. */
    private void descend(
        final TrieNode node, final DirectBuffer topic, final int levelEnd, final int end, final MatchVisitor<S> visitor)
    {
        if (levelEnd == end)
        {
            visitAll(node, visitor);
            if (node.hashChild != null)
            {
                visitAll(node.hashChild, visitor); // "sport/#" also matches "sport" [MQTT-4.7.1-2]
            }
        }
        else
        {
            matchLevel(node, topic, levelEnd + 1, end, true, visitor);
        }
    }

    @SuppressWarnings("unchecked")
    private static <S> void visitAll(final TrieNode node, final MatchVisitor<S> visitor)
    {
        final Object[] subscribers = node.subscribers;
        final int[] options = node.options;
        for (int i = 0, n = node.subscriberCount; i < n; i++)
        {
            visitor.onMatch((S)subscribers[i], options[i]);
        }
    }

    // ------------------------------------------------------------------ structure

    private TrieNode child(final TrieNode node, final byte[] filter, final int start, final int end)
    {
        if (isWildcard(filter, start, end, '+'))
        {
            return node.plusChild;
        }
        if (isWildcard(filter, start, end, '#'))
        {
            return node.hashChild;
        }
        return node.findLiteral(filter, start, end, LevelHash.of(hashSeed, filter, start, end));
    }

    private TrieNode addChild(final TrieNode node, final byte[] filter, final int start, final int end)
    {
        if (isWildcard(filter, start, end, '+'))
        {
            node.plusChild = new TrieNode(node, new byte[] {'+'}, 0);
            return node.plusChild;
        }
        if (isWildcard(filter, start, end, '#'))
        {
            node.hashChild = new TrieNode(node, new byte[] {'#'}, 0);
            return node.hashChild;
        }
        return node.addLiteral(filter, start, end, LevelHash.of(hashSeed, filter, start, end));
    }

    private static boolean isWildcard(final byte[] filter, final int start, final int end, final char wildcard)
    {
        return end - start == 1 && filter[start] == wildcard;
    }

    private static void prune(final TrieNode from)
    {
        TrieNode node = from;
        while (node.parent != null && node.isEmpty())
        {
            node.parent.removeChild(node);
            node = node.parent;
        }
    }

    private static int levelEnd(final byte[] bytes, final int from)
    {
        int i = from;
        while (i < bytes.length && bytes[i] != SEPARATOR)
        {
            i++;
        }
        return i;
    }
}
