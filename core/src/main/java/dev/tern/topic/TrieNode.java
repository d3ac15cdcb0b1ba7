package dev.tern.topic;

import org.agrona.DirectBuffer;

import java.util.Arrays;

/**
 * One filter level of a {@link TopicTrie}: its literal children, its '+' and '#' children and the subscriptions whose
 * filter ends here.
 * <p>
 * Literal children sit in a chained hash table built into the nodes themselves ({@link #nextInBucket}) rather than a
 * map, so a lookup compares the stored level bytes with the topic bytes in the caller's buffer and needs no key
 * object. '+' and '#' get their own fields because matching follows them at every level without hashing. Subscribers
 * and their options are parallel arrays so visiting them is a plain indexed loop.
 */
final class TrieNode
{
    private static final Object[] NO_SUBSCRIBERS = new Object[0];
    private static final int[] NO_OPTIONS = new int[0];
    private static final int MIN_BUCKETS = 4;

    final TrieNode parent;
    private final byte[] level;
    private final int hash;
    private TrieNode nextInBucket;

    private TrieNode[] buckets;
    private int literalCount;
    TrieNode plusChild;
    TrieNode hashChild;

    Object[] subscribers = NO_SUBSCRIBERS;
    int[] options = NO_OPTIONS;
    int subscriberCount;

    TrieNode(final TrieNode parent, final byte[] level, final int hash)
    {
        this.parent = parent;
        this.level = level;
        this.hash = hash;
    }

    // ------------------------------------------------------------------ children

    /** Literal child for {@code topic[offset, offset + length)} with precomputed hash, or null. Allocation free. */
    TrieNode findLiteral(final DirectBuffer topic, final int offset, final int length, final int levelHash)
    {
        final TrieNode[] table = buckets;
        if (table == null)
        {
            return null;
        }
        for (TrieNode n = table[levelHash & (table.length - 1)]; n != null; n = n.nextInBucket)
        {
            if (n.hash == levelHash && n.level.length == length && n.sameBytes(topic, offset))
            {
                return n;
            }
        }
        return null;
    }

    /** Literal child for {@code filter[start, end)}, or null. */
    TrieNode findLiteral(final byte[] filter, final int start, final int end, final int levelHash)
    {
        final TrieNode[] table = buckets;
        if (table == null)
        {
            return null;
        }
        for (TrieNode n = table[levelHash & (table.length - 1)]; n != null; n = n.nextInBucket)
        {
            if (n.hash == levelHash && Arrays.equals(n.level, 0, n.level.length, filter, start, end))
            {
                return n;
            }
        }
        return null;
    }

    TrieNode addLiteral(final byte[] filter, final int start, final int end, final int levelHash)
    {
        final TrieNode child = new TrieNode(this, Arrays.copyOfRange(filter, start, end), levelHash);
        if (buckets == null)
        {
            buckets = new TrieNode[MIN_BUCKETS];
        }
        else if (literalCount == buckets.length)
        {
            resize(buckets.length * 2); // load factor 1: chains stay short and the table small
        }
        link(buckets, child);
        literalCount++;
        return child;
    }

    void removeChild(final TrieNode child)
    {
        if (child == plusChild)
        {
            plusChild = null;
        }
        else if (child == hashChild)
        {
            hashChild = null;
        }
        else
        {
            unlinkLiteral(child);
        }
    }

    private void unlinkLiteral(final TrieNode child)
    {
        final int index = child.hash & (buckets.length - 1);
        TrieNode previous = null;
        for (TrieNode n = buckets[index]; n != null; previous = n, n = n.nextInBucket)
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
                n.nextInBucket = null;
                literalCount--;
                shrinkTableIfSparse();
                return;
            }
        }
        throw new IllegalStateException("child not linked to its parent");
    }

    /** A level that once held many devices must give the table back when they leave. */
    private void shrinkTableIfSparse()
    {
        if (literalCount == 0)
        {
            buckets = null;
        }
        else if (buckets.length > MIN_BUCKETS && literalCount <= buckets.length / 4)
        {
            resize(buckets.length / 2);
        }
    }

    private void resize(final int newLength)
    {
        final TrieNode[] old = buckets;
        final TrieNode[] table = new TrieNode[newLength];
        for (TrieNode head : old)
        {
            while (head != null)
            {
                final TrieNode next = head.nextInBucket;
                link(table, head);
                head = next;
            }
        }
        buckets = table;
    }

    private static void link(final TrieNode[] table, final TrieNode node)
    {
        final int index = node.hash & (table.length - 1);
        node.nextInBucket = table[index];
        table[index] = node;
    }

    private boolean sameBytes(final DirectBuffer topic, final int offset)
    {
        final byte[] bytes = level;
        for (int i = 0; i < bytes.length; i++)
        {
            if (bytes[i] != topic.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ subscriptions

    /** @return true if added, false if the subscriber was already here and only its options changed. */
    boolean addSubscriber(final Object subscriber, final int option)
    {
        final int index = indexOf(subscriber);
        if (index >= 0)
        {
            options[index] = option;
            return false;
        }
        if (subscriberCount == subscribers.length)
        {
            final int newLength = Math.max(1, subscriberCount * 2);
            subscribers = Arrays.copyOf(subscribers, newLength);
            options = Arrays.copyOf(options, newLength);
        }
        subscribers[subscriberCount] = subscriber;
        options[subscriberCount] = option;
        subscriberCount++;
        return true;
    }

    boolean removeSubscriber(final Object subscriber)
    {
        final int index = indexOf(subscriber);
        if (index < 0)
        {
            return false;
        }
        // Order carries no meaning, so move the last one into the hole instead of shifting.
        final int last = --subscriberCount;
        subscribers[index] = subscribers[last];
        options[index] = options[last];
        subscribers[last] = null;
        if (subscriberCount == 0)
        {
            subscribers = NO_SUBSCRIBERS;
            options = NO_OPTIONS;
        }
        else if (subscribers.length > 4 && subscriberCount <= subscribers.length / 4)
        {
            // A popular filter's arrays must not stay at their peak size after its subscribers leave.
            subscribers = Arrays.copyOf(subscribers, subscribers.length / 2);
            options = Arrays.copyOf(options, options.length / 2);
        }
        return true;
    }

    private int indexOf(final Object subscriber)
    {
        for (int i = 0; i < subscriberCount; i++)
        {
            if (subscriber.equals(subscribers[i]))
            {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ bookkeeping

    boolean isEmpty()
    {
        return subscriberCount == 0 && literalCount == 0 && plusChild == null && hashChild == null;
    }

    int countDescendants()
    {
        int count = 0;
        if (buckets != null)
        {
            for (final TrieNode head : buckets)
            {
                for (TrieNode n = head; n != null; n = n.nextInBucket)
                {
                    count += 1 + n.countDescendants();
                }
            }
        }
        if (plusChild != null)
        {
            count += 1 + plusChild.countDescendants();
        }
        if (hashChild != null)
        {
            count += 1 + hashChild.countDescendants();
        }
        return count;
    }
}
