package dev.tern.cluster;

import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker's hooks that feed a cluster member, on the route thread: what clients publish, the filters this member
 * starts and stops having subscribers for, the sessions clients claim here (their CONNECT held until then), and the
 * wills of its clients. Each becomes a message in a one-to-one ring that the member's agent reads; nothing here
 * blocks. A full ring drops the message and counts it.
 */
final class ClusterHooks implements BrokerHooks
{
    /** At most this much of a held CONNECT's time is kept for applying its claim on this member. */
    static final long CLAIM_MARGIN_MS = 1_000;

    private final RingBuffer ring;
    private volatile long connectTimeoutMs = 10_000;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64 * 1024]);
    private final Map<String, Set<String>> filtersByClient = new HashMap<>();
    private final Map<String, Integer> subscribersByFilter = new HashMap<>();
    /** Clients connected here with a will announced to the cluster, and its delay in seconds. */
    private final Map<String, Long> willDelays = new HashMap<>();
    /** Clients whose will is pending here (announced with WILL_PENDING), its delay running in the broker. */
    private final Set<String> pendingWills = new HashSet<>();
    /** Sessions announced detached (SESSION_DETACHED) and not ended or back since. */
    private final Set<String> detachedClients = new HashSet<>();
    /** Filters that the cluster knows as a detached session's alone, and that session. */
    private final Map<String, String> detachedOnlyFilters = new HashMap<>();
    private final SharedGroups sharedGroups;
    private final AtomicLong dropped;

    ClusterHooks(final RingBuffer ring, final AtomicLong dropped, final SharedGroups sharedGroups)
    {
        this.sharedGroups = sharedGroups;
        this.ring = ring;
        this.dropped = dropped;
    }

    @Override
    public boolean holdConnect(final ClientInfo client, final long connectionId, final boolean cleanStart)
    {
        // the CONNACK waits until this claim is committed (and a resumed session has moved here); a full ring
        // lets the CONNECT go on unclaimed
        final byte[] clientId = client.clientId().getBytes(StandardCharsets.UTF_8);
        if (17 + clientId.length > scratch.capacity())
        {
            return false;
        }
        scratch.putLong(0, connectionId);
        scratch.putByte(8, (byte)(cleanStart ? 0 : 1));
        scratch.putLong(9, claimDeadlineMs(System.currentTimeMillis(), connectTimeoutMs));
        scratch.putBytes(17, clientId);
        return write(ClusterProtocol.HOOK_CONNECT_CLAIM, 17 + clientId.length);
    }

    /**
     * The broker answers a held CONNECT 0x88 once {@code connectTimeoutMs} has passed since it came. A claim the log
     * commits later must not take the session from its owner: it carries a deadline in cluster time (epoch ms), and
     * every member ignores it if it is committed after. The deadline comes a margin before the broker's timeout, so
     * that a claim committed just in time is also applied on this member before the broker gives up (clocks of the
     * members and the leader agreeing within that margin).
     *
     * @return the last cluster time (epoch ms) at which the claim of a CONNECT that came at {@code nowMs} counts.
     */
    static long claimDeadlineMs(final long nowMs, final long connectTimeoutMs)
    {
        return nowMs + connectTimeoutMs - Math.min(CLAIM_MARGIN_MS, connectTimeoutMs / 4);
    }

    /** @param timeoutMs the broker's {@code connectTimeoutMs}; set before the broker starts. */
    void connectTimeoutMs(final long timeoutMs)
    {
        this.connectTimeoutMs = timeoutMs;
    }

    @Override
    public void onWill(final ClientInfo client, final String topic, final byte[] payload, final int qos,
        final boolean retain, final long delaySeconds, final long sessionExpirySeconds)
    {
        // published when the smaller of the two has passed: the session's end publishes a delayed will too
        final long delay = Math.min(delaySeconds, sessionExpirySeconds & 0xFFFF_FFFFL);
        final byte[] clientId = client.clientId().getBytes(StandardCharsets.UTF_8);
        final byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        final int length = 4 + clientId.length + 10 + 4 + topicBytes.length + 4 + payload.length;
        if (length > scratch.capacity())
        {
            dropped.incrementAndGet();
            return;
        }
        int at = ClusterProtocol.putBytes(scratch, 0, clientId);
        scratch.putByte(at, (byte)qos);
        scratch.putByte(at + 1, (byte)(retain ? 1 : 0));
        scratch.putLong(at + 2, delay);
        at = ClusterProtocol.putBytes(scratch, at + 10, topicBytes);
        ClusterProtocol.putBytes(scratch, at, payload);
        pendingWills.remove(client.clientId()); // the client is back: the broker cancelled it [MQTT-3.1.3-9]
        if (write(ClusterProtocol.HOOK_WILL, length))
        {
            willDelays.put(client.clientId(), delay);
        }
    }

    @Override
    public void onConnect(final ClientInfo client, final boolean sessionPresent)
    {
        if (client != null && detachedClients.remove(client.clientId()))
        {
            forgetDetached(client.clientId()); // its claim took it out of the cluster's detached sessions
        }
        // back without a will: the broker cancelled the pending one [MQTT-3.1.3-9] (a claim does in the cluster too)
        if (client != null && pendingWills.remove(client.clientId()))
        {
            writeString(ClusterProtocol.HOOK_WILL_CLEAR, client.clientId());
        }
    }

    @Override
    public boolean deliverShared(final String groupKey, final int messageHash)
    {
        // one member in the cluster delivers each message to a shared group; the others leave their group out
        return sharedGroups.deliverHere(groupKey, messageHash);
    }

    @Override
    public void onDisconnect(final ClientInfo client, final boolean graceful)
    {
        final Long delay = client == null ? null : willDelays.remove(client.clientId());
        if (delay == null)
        {
            return;
        }
        if (!graceful && delay > 0)
        {
            // the broker publishes it once the delay has passed; should this member die before, the others do
            if (writeString(ClusterProtocol.HOOK_WILL_PENDING, client.clientId()))
            {
                pendingWills.add(client.clientId());
            }
        }
        else
        {
            // this member publishes the will now, or the client discarded it: not the cluster's
            writeString(ClusterProtocol.HOOK_WILL_CLEAR, client.clientId());
        }
    }

    @Override
    public void onSubscribe(final ClientInfo client, final String topicFilter, final int grantedQos)
    {
        if (grantedQos >= 0x80 || client == null)
        {
            return;
        }
        if (filtersByClient.computeIfAbsent(client.clientId(), k -> new HashSet<>()).add(topicFilter)
            && (subscribersByFilter.merge(topicFilter, 1, Integer::sum) == 1
            || !detachedOnlyFilters.isEmpty() && detachedOnlyFilters.remove(topicFilter) != null))
        {
            // announced as the member's first; again when a detached session had it alone: no longer (its expiry
            // elsewhere must not drop it)
            writeString(ClusterProtocol.HOOK_SUBSCRIBE, topicFilter);
        }
    }

    @Override
    public void onSessionDetached(final ClientInfo client, final long expirySeconds)
    {
        // the cluster ends the session at its expiry should this member be down then (its filters only it has go)
        if (client == null)
        {
            return;
        }
        final String clientId = client.clientId();
        final byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        if (4 + id.length + 12 > scratch.capacity())
        {
            dropped.incrementAndGet();
            return;
        }
        int at = ClusterProtocol.putBytes(scratch, 0, id);
        scratch.putLong(at, expirySeconds);
        final int countAt = at + 8;
        at += 12;
        int count = 0;
        final Set<String> filters = filtersByClient.get(clientId);
        if (filters != null)
        {
            for (final String filter : filters)
            {
                final byte[] bytes = filter.getBytes(StandardCharsets.UTF_8);
                if (subscribersByFilter.getOrDefault(filter, 0) != 1 || at + 4 + bytes.length > scratch.capacity())
                {
                    continue; // another session here has it too (or no room: the filter stays in the cluster)
                }
                at = ClusterProtocol.putBytes(scratch, at, bytes);
                count++;
            }
        }
        scratch.putInt(countAt, count);
        if (write(ClusterProtocol.HOOK_DETACHED, at))
        {
            forgetDetached(clientId);
            detachedClients.add(clientId);
            if (filters != null)
            {
                for (final String filter : filters)
                {
                    if (subscribersByFilter.getOrDefault(filter, 0) == 1)
                    {
                        detachedOnlyFilters.put(filter, clientId);
                    }
                }
            }
        }
    }

    private void forgetDetached(final String clientId)
    {
        final Set<String> filters = filtersByClient.get(clientId);
        if (filters != null && !detachedOnlyFilters.isEmpty())
        {
            for (final String filter : filters)
            {
                detachedOnlyFilters.remove(filter, clientId);
            }
        }
    }

    @Override
    public void onSubscriptionRestored(final ClientInfo client, final String topicFilter, final int qos)
    {
        // counted as any subscription of the client, released at its end; announced when the member joins, unless
        // the cluster has given the session to another member meanwhile (the member then drops it)
        if (client == null)
        {
            return;
        }
        if (filtersByClient.computeIfAbsent(client.clientId(), k -> new HashSet<>()).add(topicFilter))
        {
            subscribersByFilter.merge(topicFilter, 1, Integer::sum);
        }
        final byte[] clientId = client.clientId().getBytes(StandardCharsets.UTF_8);
        final byte[] filter = topicFilter.getBytes(StandardCharsets.UTF_8);
        if (4 + clientId.length + filter.length > scratch.capacity())
        {
            dropped.incrementAndGet();
            return;
        }
        final int at = ClusterProtocol.putBytes(scratch, 0, clientId);
        scratch.putBytes(at, filter);
        write(ClusterProtocol.HOOK_RESTORED, at + filter.length);
    }

    @Override
    public void onUnsubscribe(final ClientInfo client, final String topicFilter)
    {
        if (client == null)
        {
            return;
        }
        final Set<String> filters = filtersByClient.get(client.clientId());
        if (filters != null && filters.remove(topicFilter))
        {
            release(topicFilter);
        }
    }

    @Override
    public void onSessionEnd(final String clientId)
    {
        if (detachedClients.remove(clientId))
        {
            forgetDetached(clientId);
            writeString(ClusterProtocol.HOOK_SESSION_END, clientId);
        }
        if (pendingWills.remove(clientId))
        {
            // the broker publishes a pending will as the session ends, or dropped it as the session moved away
            writeString(ClusterProtocol.HOOK_WILL_CLEAR, clientId);
        }
        final Set<String> filters = filtersByClient.remove(clientId);
        if (filters != null)
        {
            for (final String filter : filters)
            {
                release(filter);
            }
        }
    }

    @Override
    public void onPublish(final ClientInfo client, final String topic, final byte[] payload, final int qos,
        final boolean retain)
    {
        if (client == null)
        {
            return; // inline: $SYS, the embedding program, or a message another member forwarded
        }
        if (!pendingWills.isEmpty() && pendingWills.remove(client.clientId()))
        {
            // the publish of a client whose connection has ended: its will, its delay over; published here
            writeString(ClusterProtocol.HOOK_WILL_CLEAR, client.clientId());
        }
        final byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        final int length = 2 + 4 + topicBytes.length + payload.length;
        if (length > scratch.capacity())
        {
            dropped.incrementAndGet();
            return;
        }
        scratch.putByte(0, (byte)qos);
        scratch.putByte(1, (byte)(retain ? 1 : 0));
        scratch.putInt(2, topicBytes.length);
        scratch.putBytes(6, topicBytes);
        scratch.putBytes(6 + topicBytes.length, payload);
        write(ClusterProtocol.HOOK_PUBLISH, length);
    }

    @Override
    public boolean holdPublishAck(final ClientInfo client, final long connectionId, final int packetId,
        final int reasonCode)
    {
        // follows this publish's HOOK_PUBLISH in the ring; the agent sends the PUBACK once the members it forwarded
        // the message to have acknowledged it (at once when there were none)
        scratch.putLong(0, connectionId);
        scratch.putInt(8, packetId);
        scratch.putInt(12, reasonCode);
        return write(ClusterProtocol.HOOK_HOLD_ACK, 16);
    }

    private void release(final String filter)
    {
        final Integer count = subscribersByFilter.get(filter);
        if (count == null)
        {
            return;
        }
        if (count == 1)
        {
            subscribersByFilter.remove(filter);
            writeString(ClusterProtocol.HOOK_UNSUBSCRIBE, filter);
        }
        else
        {
            subscribersByFilter.put(filter, count - 1);
        }
    }

    private boolean writeString(final int type, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        scratch.putBytes(0, bytes);
        return write(type, bytes.length);
    }

    private boolean write(final int type, final int length)
    {
        if (ring.write(type, scratch, 0, length))
        {
            return true;
        }
        dropped.incrementAndGet();
        return false;
    }
}
