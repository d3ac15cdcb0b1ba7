package dev.tern.route;

import org.agrona.DirectBuffer;

/**
 * The broker's own topic namespaces: {@code $SYS} (its statistics) and {@code $share} (shared subscriptions, a
 * filter syntax, never a topic). Clients may subscribe there but not publish (as Mosquitto refuses it).
 */
public final class ReservedTopics
{
    private static final byte[] SYS = {'$', 'S', 'Y', 'S'};
    private static final byte[] SHARE = {'$', 's', 'h', 'a', 'r', 'e'};

    private ReservedTopics()
    {
    }

    /** @return whether the topic name in {@code buffer} has {@code $SYS} or {@code $share} as its first level. */
    public static boolean isReserved(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length == 0 || buffer.getByte(offset) != '$')
        {
            return false;
        }
        return isFirstLevel(SYS, buffer, offset, length) || isFirstLevel(SHARE, buffer, offset, length);
    }

    private static boolean isFirstLevel(final byte[] level, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < level.length || (length > level.length && buffer.getByte(offset + level.length) != '/'))
        {
            return false;
        }
        for (int i = 0; i < level.length; i++)
        {
            if (buffer.getByte(offset + i) != level[i])
            {
                return false;
            }
        }
        return true;
    }
}
