package dev.tern.topic;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Subscriptions by topic filter, one node per level. Matching a topic walks only the branches that can match (the
 * literal level, '+' and '#'), compares level bytes straight against the caller's buffer and allocates nothing.
 * Single-threaded: owned by the route stage.
 *
 * @param <S> subscriber type (compared by identity).
 */
public final class TopicTrie<S>
{
    private static final byte SEPARATOR = '/';

    private final Node root = new Node(null, null, 0);
    private int size;
    private MatchVisitor<S> visitor;
    private boolean dollarTopic;

    /**
     * Add a subscription, or replace the options of an existing one with the same filter and subscriber.
     *
     * @return true if it is new.
     */
    public boolean subscribe(final String filter, final S subscriber, final int options)
    {
        Node node = root;
        final byte[] bytes = filter.getBytes(StandardCharsets.UTF_8);
        int start = 0;
        while (true)
        {
            final int end = indexOfSeparator(bytes, start);
            node = node.childForLevel(bytes, start, end, true);
            if (end == bytes.length)
            {
                break;
            }
            start = end + 1;
        }
        if (node.add(subscriber, options))
        {
            size++;
            return true;
        }
        return false;
    }

    /**
     * @return true if the subscription existed and is now removed.
     */
    public boolean unsubscribe(final String filter, final S subscriber)
    {
        Node node = root;
        final byte[] bytes = filter.getBytes(StandardCharsets.UTF_8);
        int start = 0;
        while (true)
        {
            final int end = indexOfSeparator(bytes, start);
            node = node.childForLevel(bytes, start, end, false);
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
        if (!node.remove(subscriber))
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

    /** @return nodes below the root, for tests of pruning. */
    int nodeCount()
    {
        return root.countDescendants();
    }

    /**
     * Visit every subscription whose filter matches the topic name in {@code buffer[offset, offset + length)}.
     * A subscriber with several matching filters is visited once per filter.
     */
    @SuppressWarnings("unchecked")
    public void match(final DirectBuffer topic, final int offset, final int length, final MatchVisitor<S> visitor)
    {
        this.visitor = visitor;
        // [MQTT-4.7.2-1] topics starting with '$' are not matched by a leading wildcard
        this.dollarTopic = length > 0 && topic.getByte(offset) == '$';
        try
        {
            matchLevel(root, topic, offset, offset + length, true);
        }
        finally
        {
            this.visitor = null;
        }
    }

    public void match(final String topic, final MatchVisitor<S> visitor)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        match(new UnsafeBuffer(bytes), 0, bytes.length, visitor);
    }

    private void matchLevel(final Node node, final DirectBuffer topic, final int start, final int end, final boolean first)
    {
        final boolean wildcardsAllowed = !(first && dollarTopic);
        if (wildcardsAllowed && node.multiLevel != null)
        {
            visitAll(node.multiLevel); // '#' matches this level and everything below
        }
        int levelEnd = start;
        while (levelEnd < end && topic.getByte(levelEnd) != SEPARATOR)
        {
            levelEnd++;
        }
        if (wildcardsAllowed && node.singleLevel != null)
        {
            advance(node.singleLevel, topic, levelEnd, end);
        }
        final Node child = node.find(topic, start, levelEnd - start);
        if (child != null)
        {
            advance(child, topic, levelEnd, end);
        }
    }

    private void advance(final Node node, final DirectBuffer topic, final int levelEnd, final int end)
    {
        if (levelEnd == end)
        {
            visitAll(node);
            if (node.multiLevel != null)
            {
                visitAll(node.multiLevel); // "sport/#" also matches "sport" [MQTT-4.7.1-2]
            }
        }
        else
        {
            matchLevel(node, topic, levelEnd + 1, end, false);
        }
    }

    @SuppressWarnings("unchecked")
    private void visitAll(final Node node)
    {
        final Object[] subscribers = node.subscribers;
        final int[] options = node.options;
        for (int i = 0, n = node.subscriberCount; i < n; i++)
        {
            visitor.onMatch((S)subscribers[i], options[i]);
        }
    }

    private static void prune(final Node start)
    {
        Node node = start;
        while (node.parent != null && node.isEmpty())
        {
            node.parent.removeChild(node);
            node = node.parent;
        }
    }

    private static int indexOfSeparator(final byte[] bytes, final int from)
    {
        int i = from;
        while (i < bytes.length && bytes[i] != SEPARATOR)
        {
            i++;
        }
        return i;
    }

    private static int hash(final byte[] bytes, final int offset, final int length)
    {
        int h = 0x811C9DC5;
        for (int i = 0; i < length; i++)
        {
            h = (h ^ (bytes[offset + i] & 0xFF)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    private static int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        int h = 0x811C9DC5;
        for (int i = 0; i < length; i++)
        {
            h = (h ^ (buffer.getByte(offset + i) & 0xFF)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    /**
     * One level of filters. Literal children live in a chained hash table keyed by level bytes; '+' and '#' children
     * have their own fields so matching never hashes them.
     */
    private static final class Node
    {
        private static final Object[] NO_SUBSCRIBERS = new Object[0];
        private static final int[] NO_OPTIONS = new int[0];

        final Node parent;
        final byte[] level;
        final int hash;
        Node nextInBucket;
        Node[] buckets;
        int childCount;
        Node singleLevel;
        Node multiLevel;
        Object[] subscribers = NO_SUBSCRIBERS;
        int[] options = NO_OPTIONS;
        int subscriberCount;

        Node(final Node parent, final byte[] level, final int hash)
        {
            this.parent = parent;
            this.level = level;
            this.hash = hash;
        }

        Node childForLevel(final byte[] filter, final int start, final int end, final boolean create)
        {
            final int length = end - start;
            if (length == 1 && filter[start] == '+')
            {
                if (singleLevel == null && create)
                {
                    singleLevel = new Node(this, new byte[] {'+'}, 0);
                }
                return singleLevel;
            }
            if (length == 1 && filter[start] == '#')
            {
                if (multiLevel == null && create)
                {
                    multiLevel = new Node(this, new byte[] {'#'}, 0);
                }
                return multiLevel;
            }
            final int h = hash(filter, start, length);
            if (buckets != null)
            {
                for (Node n = buckets[h & (buckets.length - 1)]; n != null; n = n.nextInBucket)
                {
                    if (n.hash == h && Arrays.equals(n.level, 0, n.level.length, filter, start, end))
                    {
                        return n;
                    }
                }
            }
            if (!create)
            {
                return null;
            }
            final Node child = new Node(this, Arrays.copyOfRange(filter, start, end), h);
            insert(child);
            return child;
        }

        Node find(final DirectBuffer topic, final int offset, final int length)
        {
            if (buckets == null)
            {
                return null;
            }
            final int h = hash(topic, offset, length);
            for (Node n = buckets[h & (buckets.length - 1)]; n != null; n = n.nextInBucket)
            {
                if (n.hash == h && n.level.length == length && equals(n.level, topic, offset))
                {
                    return n;
                }
            }
            return null;
        }

        private static boolean equals(final byte[] level, final DirectBuffer topic, final int offset)
        {
            for (int i = 0; i < level.length; i++)
            {
                if (level[i] != topic.getByte(offset + i))
                {
                    return false;
                }
            }
            return true;
        }

        private void insert(final Node child)
        {
            if (buckets == null)
            {
                buckets = new Node[4];
            }
            else if (childCount + 1 > buckets.length)
            {
                rehash(buckets.length * 2);
            }
            final int index = child.hash & (buckets.length - 1);
            child.nextInBucket = buckets[index];
            buckets[index] = child;
            childCount++;
        }

        private void rehash(final int newLength)
        {
            final Node[] old = buckets;
            buckets = new Node[newLength];
            for (Node head : old)
            {
                while (head != null)
                {
                    final Node next = head.nextInBucket;
                    final int index = head.hash & (newLength - 1);
                    head.nextInBucket = buckets[index];
                    buckets[index] = head;
                    head = next;
                }
            }
        }

        void removeChild(final Node child)
        {
            if (child == singleLevel)
            {
                singleLevel = null;
                return;
            }
            if (child == multiLevel)
            {
                multiLevel = null;
                return;
            }
            final int index = child.hash & (buckets.length - 1);
            Node previous = null;
            for (Node n = buckets[index]; n != null; n = n.nextInBucket)
            {
                if (n == child)
                {
                    if (previous == null)
                    {
                        buckets[index] = n.nextInBucket;
                    }
                    else
                    {
                        previous.nextInBucket = n.nextInBucket;
                    }
                    childCount--;
                    if (childCount == 0)
                    {
                        buckets = null;
                    }
                    return;
                }
                previous = n;
            }
        }

        boolean add(final Object subscriber, final int option)
        {
            for (int i = 0; i < subscriberCount; i++)
            {
                if (subscribers[i] == subscriber)
                {
                    options[i] = option;
                    return false;
                }
            }
            if (subscriberCount == subscribers.length)
            {
                final int newLength = Math.max(2, subscriberCount * 2);
                subscribers = Arrays.copyOf(subscribers, newLength);
                options = Arrays.copyOf(options, newLength);
            }
            subscribers[subscriberCount] = subscriber;
            options[subscriberCount] = option;
            subscriberCount++;
            return true;
        }

        boolean remove(final Object subscriber)
        {
            for (int i = 0; i < subscriberCount; i++)
            {
                if (subscribers[i] == subscriber)
                {
                    final int last = --subscriberCount;
                    subscribers[i] = subscribers[last];
                    options[i] = options[last];
                    subscribers[last] = null;
                    if (subscriberCount == 0)
                    {
                        subscribers = NO_SUBSCRIBERS;
                        options = NO_OPTIONS;
                    }
                    return true;
                }
            }
            return false;
        }

        boolean isEmpty()
        {
            return subscriberCount == 0 && childCount == 0 && singleLevel == null && multiLevel == null;
        }

        int countDescendants()
        {
            int count = 0;
            if (buckets != null)
            {
                for (Node head : buckets)
                {
                    for (Node n = head; n != null; n = n.nextInBucket)
                    {
                        count += 1 + n.countDescendants();
                    }
                }
            }
            if (singleLevel != null)
            {
                count += 1 + singleLevel.countDescendants();
            }
            if (multiLevel != null)
            {
                count += 1 + multiLevel.countDescendants();
            }
            return count;
        }
    }
}
