package dev.tern.topic;

/**
 * Hash of one topic level's bytes. Subscribing hashes a filter's {@code byte[]} and matching hashes the topic straight
 * from the caller's buffer, so both forms must give the same value for the same bytes; they share {@link #mix} and
 * {@link #finish} for that reason. Matching inlines the per-byte step into its separator scan so a level is read once.
 */
final class LevelHash
{
    private static final int PRIME = 0x01000193;

    private LevelHash()
    {
    }

    /** Fold one byte into a running hash (FNV-1a step). */
    static int mix(final int hash, final byte b)
    {
        return (hash ^ (b & 0xFF)) * PRIME;
    }

    /**
     * Spread the bits so the low bits that pick a bucket depend on every byte. The per-trie seed that starts the hash
     * keeps the bucket layout unpredictable to clients, who choose level names and could otherwise pile them into one
     * chain.
     */
    static int finish(final int hash)
    {
        int h = hash;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    static int of(final int seed, final byte[] bytes, final int start, final int end)
    {
        int h = seed;
        for (int i = start; i < end; i++)
        {
            h = mix(h, bytes[i]);
        }
        return finish(h);
    }
}
