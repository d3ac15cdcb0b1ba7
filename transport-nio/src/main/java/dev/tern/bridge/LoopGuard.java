package dev.tern.bridge;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps a bridge's messages from going round: the brokers a message went through travel with it in
 * {@link Bridge#PATH_PROPERTY}, so a bridge never forwards a message back into a broker it already left; and for a
 * 3.1.1 remote, which has no No Local, a message this bridge forwarded to a topic it also subscribes to comes back
 * once and is recognised by its topic and payload. One instance per bridge, used on the bridge's thread only.
 */
final class LoopGuard
{
    /** Echoes remembered at most (MQTT 3.1.1 remotes); beyond it the oldest is forgotten. */
    private static final int MAX_ECHOES = 65_536;

    /** This broker's id in the path, drawn at each start. */
    private final String brokerId;
    private final boolean suppressEchoes;
    /** Forwarded messages whose echo the remote broker will send back, with how many are expected. */
    private final Map<String, Integer> echoes = new LinkedHashMap<>(16, 0.75f, false)
    {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Integer> eldest)
        {
            return size() > MAX_ECHOES;
        }
    };

    /**
     * @param brokerId       this broker's id in the path.
     * @param suppressEchoes whether echoes are expected: a 3.1.1 remote with {@code in} topics.
     */
    LoopGuard(final String brokerId, final boolean suppressEchoes)
    {
        this.brokerId = brokerId;
        this.suppressEchoes = suppressEchoes;
    }

    /** @return the value of {@link Bridge#PATH_PROPERTY} of a message, null without. */
    static String path(final Mqtt5Publish message)
    {
        for (final var property : message.getUserProperties().asList())
        {
            if (property.getName().toString().equals(Bridge.PATH_PROPERTY))
            {
                return property.getValue().toString();
            }
        }
        return null;
    }

    /** @return whether echoes of forwarded messages are expected and dropped. */
    boolean suppressesEchoes()
    {
        return suppressEchoes;
    }

    /** @return whether a message with this path already left this broker through a bridge (a cycle). */
    boolean passedHere(final String path)
    {
        if (path == null)
        {
            return false;
        }
        for (final String id : path.split(","))
        {
            if (id.equals(brokerId))
            {
                return true;
            }
        }
        return false;
    }

    /** @return the path of a message forwarded by this broker: its path so far, then this broker. */
    String extend(final String path)
    {
        return path == null || path.isEmpty() ? brokerId : path + "," + brokerId;
    }

    /** A message is forwarded to a topic the bridge also subscribes to on the remote: its echo will come back. */
    void expectEcho(final String topic, final byte[] payload)
    {
        if (suppressEchoes)
        {
            echoes.merge(echoKey(topic, payload), 1, Integer::sum);
        }
    }

    /**
     * @return whether this remote message is the echo of one forwarded (one expected echo is used up), or the
     * forwarding failed and its echo will not come.
     */
    boolean consumeEcho(final String topic, final byte[] payload)
    {
        if (!suppressEchoes)
        {
            return false;
        }
        final String key = echoKey(topic, payload);
        final Integer pending = echoes.get(key);
        if (pending == null)
        {
            return false;
        }
        if (pending == 1)
        {
            echoes.remove(key);
        }
        else
        {
            echoes.put(key, pending - 1);
        }
        return true;
    }

    private static String echoKey(final String topic, final byte[] payload)
    {
        return topic + '\u0000' + payload.length + '/' + Arrays.hashCode(payload);
    }
}
