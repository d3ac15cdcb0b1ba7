package dev.tern.bridge;

import dev.tern.codec.TopicValidator;

import java.util.Objects;

/**
 * One {@code topic} line of a bridge, with Mosquitto's meaning: {@code topic PATTERN [out|in|both] QOS LOCAL_PREFIX
 * REMOTE_PREFIX}. The local broker sees {@code localPrefix + pattern}, the remote broker {@code remotePrefix +
 * pattern}; a message crossing the bridge keeps the part of its topic after the prefix and swaps the prefix. An empty
 * pattern makes each prefix a whole topic name (Mosquitto's {@code topic "" out 1 local/t remote/t}).
 *
 * @param pattern      topic filter relative to the prefixes; may be empty when a prefix is given.
 * @param direction    which way messages cross.
 * @param qos          the highest QoS used on both sides of the bridge for these messages (0, 1 or 2).
 * @param localPrefix  prefix on the local broker, empty for none.
 * @param remotePrefix prefix on the remote broker, empty for none.
 */
public record BridgeTopic(String pattern, Direction direction, int qos, String localPrefix, String remotePrefix)
{
    /** Which way the messages of a topic line cross the bridge. */
    public enum Direction
    {
        /** local to remote. */
        OUT,
        /** remote to local. */
        IN,
        /** both ways. */
        BOTH;

        boolean out()
        {
            return this != IN;
        }

        boolean in()
        {
            return this != OUT;
        }
    }

    public BridgeTopic
    {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(direction, "direction");
        localPrefix = localPrefix == null ? "" : localPrefix;
        remotePrefix = remotePrefix == null ? "" : remotePrefix;
        if (qos < 0 || qos > 2)
        {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, not " + qos);
        }
        if (pattern.isEmpty() && localPrefix.isEmpty() && remotePrefix.isEmpty())
        {
            throw new IllegalArgumentException("an empty pattern needs a local or remote prefix");
        }
        if (localPrefix.contains("+") || localPrefix.contains("#") || remotePrefix.contains("+")
            || remotePrefix.contains("#"))
        {
            throw new IllegalArgumentException("a prefix cannot contain the wildcards + or #");
        }
        if (!TopicValidator.isValidTopicFilter(localPrefix + pattern))
        {
            throw new IllegalArgumentException("invalid local topic filter '" + localPrefix + pattern + "'");
        }
        if (!TopicValidator.isValidTopicFilter(remotePrefix + pattern))
        {
            throw new IllegalArgumentException("invalid remote topic filter '" + remotePrefix + pattern + "'");
        }
    }

    /** @return the filter subscribed to on the local broker (for {@code out} and {@code both}). */
    public String localFilter()
    {
        return localPrefix + pattern;
    }

    /** @return the filter subscribed to on the remote broker (for {@code in} and {@code both}). */
    public String remoteFilter()
    {
        return remotePrefix + pattern;
    }

    /** @return the remote topic of a local topic this line matched. */
    public String toRemote(final String localTopic)
    {
        return remotePrefix + localTopic.substring(localPrefix.length());
    }

    /** @return the local topic of a remote topic this line matched. */
    public String toLocal(final String remoteTopic)
    {
        return localPrefix + remoteTopic.substring(remotePrefix.length());
    }

    /** @return whether a local topic name crosses to the remote broker through this line. */
    public boolean matchesLocal(final String topic)
    {
        return direction.out() && matches(localFilter(), topic);
    }

    /** @return whether a remote topic name crosses to the local broker through this line. */
    public boolean matchesRemote(final String topic)
    {
        return direction.in() && matches(remoteFilter(), topic);
    }

    /** MQTT filter matching, including the rule that wildcards at the start do not match {@code $} topics. */
    static boolean matches(final String filter, final String topic)
    {
        if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#")))
        {
            return false; // [MQTT-4.7.2-1]
        }
        int f = 0;
        int t = 0;
        final int fl = filter.length();
        final int tl = topic.length();
        while (f < fl)
        {
            final int fEnd = indexOrEnd(filter, f);
            final String level = filter.substring(f, fEnd);
            if (level.equals("#"))
            {
                return true;
            }
            if (t > tl)
            {
                return false;
            }
            final int tEnd = indexOrEnd(topic, t);
            if (!level.equals("+") && !level.equals(topic.substring(t, tEnd)))
            {
                return false;
            }
            f = fEnd + 1;
            t = tEnd + 1;
        }
        return t > tl;
    }

    private static int indexOrEnd(final String text, final int from)
    {
        final int slash = text.indexOf('/', from);
        return slash < 0 ? text.length() : slash;
    }

    @Override
    public String toString()
    {
        return "topic '" + pattern + "' " + direction.name().toLowerCase(java.util.Locale.ROOT) + " " + qos
            + " '" + localPrefix + "' '" + remotePrefix + "'";
    }
}
