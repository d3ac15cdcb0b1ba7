package dev.tern.cluster;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions moving between members, point to point: only the claim goes through the log. When a member's claim of a
 * client's session is applied, the member that owned it (as the log says) closes the client's old connection and
 * removes the session; if the client resumes it (Clean Start 0) the old owner sends the session's state to the
 * claimant over the forwarding channel, in chunks, and the claimant installs it and only then acts on the held
 * CONNECT (session present [MQTT-3.2.2-2]). A claim that needs no state (Clean Start 1, no previous owner, the
 * previous owner is this member or is down) resumes the CONNECT as soon as it is applied. A claimant that gets no
 * state within {@link #STATE_WAIT_NS} (the old owner died meanwhile) resumes the CONNECT with what it has.
 *
 * <p>Threads: the clustered service calls {@link #claimedHere} and {@link #claimedElsewhere}; the broker's route
 * thread hands states over; everything else runs on the member's agent thread.
 */
final class SessionMoves
{
    private static final Logger LOG = LoggerFactory.getLogger(SessionMoves.class);

    /** How long a claimant waits for the old owner's state before it resumes the CONNECT without it. */
    static final long STATE_WAIT_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long ARRIVED_KEEP_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int CHUNK = 60_000;
    private static final int HEADER = 14;

    /** The point-to-point channel to the other members. Agent thread. */
    interface Sender
    {
        /** @return whether the member got the message. */
        boolean send(int member, DirectBuffer buffer, int length);

        /** @return whether the member's forwarding channel is connected (false soon after it died). */
        boolean reachable(int member);
    }

    private record Await(String clientId, long epoch, long connectionId, int from, long deadlineNs)
    {
    }

    private record Outgoing(int to, String clientId, long epoch, byte[] state)
    {
    }

    private static final class Arrived
    {
        final long epoch;
        final long sinceNs;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean complete;
        boolean none;

        Arrived(final long epoch, final long sinceNs)
        {
            this.epoch = epoch;
            this.sinceNs = sinceNs;
        }
    }

    private final LocalBroker broker;
    private final int self;
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final Map<String, Await> awaiting = new HashMap<>();
    private final Map<String, Arrived> arrived = new HashMap<>();
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[HEADER + 4 + 1024 + CHUNK]);

    SessionMoves(final LocalBroker broker, final int self)
    {
        this.broker = broker;
        this.self = self;
    }

    /**
     * This member's claim of {@code clientId} is committed (service thread).
     *
     * @param from the member the session's state comes from, or -1 to resume the CONNECT now.
     */
    void claimedHere(final String clientId, final long epoch, final long connectionId, final int from)
    {
        if (from < 0)
        {
            broker.resumeConnect(connectionId);
        }
        else
        {
            inbox.add(new Await(clientId, epoch, connectionId, from, System.nanoTime() + STATE_WAIT_NS));
        }
    }

    /**
     * Member {@code to} claimed {@code clientId} (service thread): the connection and session here go; if this
     * member owned it and the claimant resumes it, its state (or word that there is none) goes to the claimant.
     */
    void claimedElsewhere(final String clientId, final long epoch, final int to, final boolean keepState,
        final boolean wasOwner)
    {
        final boolean send = keepState && wasOwner;
        broker.moveSessionOut(clientId, send, state ->
        {
            if (send)
            {
                inbox.add(new Outgoing(to, clientId, epoch, state));
            }
        });
    }

    /** Agent thread: act on claims and states handed over; @return work done. */
    int poll(final Sender sender)
    {
        int work = 0;
        Object item;
        while ((item = inbox.poll()) != null)
        {
            work++;
            if (item instanceof Await await)
            {
                final Arrived got = arrived.get(await.clientId());
                if (got != null && got.epoch == await.epoch() && got.complete)
                {
                    arrived.remove(await.clientId());
                    install(got, await.connectionId());
                }
                else if (!sender.reachable(await.from()))
                {
                    LOG.warn("member {} that had the session of {} cannot be reached: it starts from what this "
                        + "member has", await.from(), await.clientId());
                    broker.resumeConnect(await.connectionId());
                }
                else
                {
                    awaiting.put(await.clientId(), await);
                }
            }
            else if (item instanceof Outgoing outgoing)
            {
                send(sender, outgoing);
            }
        }
        return work;
    }

    /** Agent thread: claimants that waited too long go on without the state; stale states are dropped. */
    void sweep(final long nowNs)
    {
        if (!awaiting.isEmpty())
        {
            final List<Await> late = new ArrayList<>();
            for (final Await await : awaiting.values())
            {
                if (nowNs - await.deadlineNs() > 0)
                {
                    late.add(await);
                }
            }
            for (final Await await : late)
            {
                awaiting.remove(await.clientId());
                LOG.warn("no session state for {} from member {} within {} ms: it starts from what this member has",
                    await.clientId(), await.from(), TimeUnit.NANOSECONDS.toMillis(STATE_WAIT_NS));
                broker.resumeConnect(await.connectionId());
            }
        }
        arrived.values().removeIf(a -> nowNs - a.sinceNs > ARRIVED_KEEP_NS);
    }

    /** Agent thread: a chunk of a session state from another member. */
    void onChunk(final DirectBuffer buffer, final int offset, final int length)
    {
        final long epoch = buffer.getLong(offset + 5);
        final byte flags = buffer.getByte(offset + 13);
        final String clientId = ClusterProtocol.getString(buffer, offset + HEADER);
        final int chunkAt = offset + HEADER + ClusterProtocol.stringLength(buffer, offset + HEADER);
        Arrived got = arrived.get(clientId);
        if (got == null || got.epoch != epoch || got.complete)
        {
            got = new Arrived(epoch, System.nanoTime());
            arrived.put(clientId, got);
        }
        final byte[] chunk = new byte[offset + length - chunkAt];
        buffer.getBytes(chunkAt, chunk);
        got.bytes.write(chunk, 0, chunk.length);
        if ((flags & ClusterProtocol.SESSION_LAST) == 0)
        {
            return;
        }
        got.complete = true;
        got.none = (flags & ClusterProtocol.SESSION_NONE) != 0;
        final Await await = awaiting.get(clientId);
        if (await != null && await.epoch() == epoch)
        {
            awaiting.remove(clientId);
            arrived.remove(clientId);
            install(got, await.connectionId());
        }
    }

    private void install(final Arrived got, final long connectionId)
    {
        if (got.none)
        {
            broker.resumeConnect(connectionId);
        }
        else
        {
            broker.moveSessionIn(got.bytes.toByteArray(), connectionId);
        }
    }

    private void send(final Sender sender, final Outgoing outgoing)
    {
        final byte[] state = outgoing.state();
        final int total = state == null ? 0 : state.length;
        int at = 0;
        do
        {
            final int chunk = Math.min(CHUNK, total - at);
            final boolean last = at + chunk == total;
            out.putByte(0, ClusterProtocol.FORWARD_SESSION);
            out.putInt(1, self);
            out.putLong(5, outgoing.epoch());
            out.putByte(13, (byte)((last ? ClusterProtocol.SESSION_LAST : 0) |
                (state == null ? ClusterProtocol.SESSION_NONE : 0)));
            final int chunkAt = ClusterProtocol.putString(out, HEADER, outgoing.clientId());
            if (chunkAt + chunk > out.capacity())
            {
                LOG.warn("session of {} not sent: client id too long", outgoing.clientId());
                return;
            }
            if (chunk > 0)
            {
                out.putBytes(chunkAt, state, at, chunk);
            }
            if (!sender.send(outgoing.to(), out, chunkAt + chunk))
            {
                LOG.warn("session state of {} could not be sent to member {}: it is lost", outgoing.clientId(),
                    outgoing.to());
                return;
            }
            at += chunk;
        }
        while (at < total);
        LOG.info("session of {} moved to member {} ({} bytes)", outgoing.clientId(), outgoing.to(), total);
    }
}
