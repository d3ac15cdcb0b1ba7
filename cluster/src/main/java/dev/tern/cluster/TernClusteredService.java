package dev.tern.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.aeron.FragmentAssembler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated state machine of a Tern cluster: which members are up, which filters each member has subscribers
 * for, the retained messages, and which member owns each client's session. Every member applies the same commands in
 * the same order and reaches the same state: nothing here reads the wall clock, and everything iterated is sorted
 * ({@link TreeMap}). A command repeated by its origin (same member, sequence not above the last applied) changes
 * nothing.
 *
 * <p>Applying a command also acts on this member's broker, outside the replicated state: a retained message set
 * elsewhere is stored here (its subscribers here get it point to point from the publishing member), a session
 * claimed elsewhere closes its connection here, and the filter index of the forwarding agent is updated.
 */
final class TernClusteredService implements ClusteredService
{
    private static final Logger LOG = LoggerFactory.getLogger(TernClusteredService.class);

    private static final byte SNAP_MEMBER = 1;
    private static final byte SNAP_FILTER = 2;
    private static final byte SNAP_RETAINED = 3;
    private static final byte SNAP_OWNER = 4;
    private static final byte SNAP_SESSION = 5;
    private static final byte SNAP_WILL_TIMER = 6;
    private static final byte SNAP_WILL = 7;
    private static final byte SNAP_STALE = 8;
    private static final byte SNAP_END = 9;
    private static final byte SNAP_PENDING_WILL = 10;
    private static final byte SNAP_SESSION_TIMER = 11;
    private static final byte SNAP_DETACHED = 12;
    /** The member of a session that the cluster ended (its member was down at its expiry): no member has it. */
    static final int NO_MEMBER = 0xFF;
    /** A will whose due time is further back than this is not published here (this member replays an old log). */
    private static final long STALE_WILL_MS = 10_000;
    /** A claim without a held CONNECT (from a log of an earlier version). */
    private static final long NO_CONNECTION = Long.MIN_VALUE;

    /** A filter's members changed: what the forwarding agent's index must mirror. */
    record IndexUpdate(String filter, int members)
    {
    }

    private record Retained(int qos, byte[] payload)
    {
    }

    private final int self;
    private final long incarnation;
    private final LocalBroker broker;
    private final Queue<IndexUpdate> indexUpdates;
    private final SessionMoves moves;

    // ---- replicated state: same on every member after the same log
    private final long[] lastSequence;
    private final long[] incarnations;
    private final TreeMap<String, Integer> membersByFilter = new TreeMap<>();
    /** Filters a member had when it (re)joined and has not announced again since: bit per member. */
    private final TreeMap<String, Integer> staleByFilter = new TreeMap<>();
    private final TreeMap<String, Retained> retained = new TreeMap<>();
    private final TreeMap<String, Long> ownerByClientId = new TreeMap<>(); // epoch << 8 | member
    private final TreeMap<Long, Integer> memberBySession = new TreeMap<>();
    private final ClusterWills wills = new ClusterWills();
    private final ClusterSessions sessions = new ClusterSessions();
    private final SharedGroups sharedGroups;

    private final ExpandableArrayBuffer snapshotBuffer = new ExpandableArrayBuffer(4096);
    private final org.agrona.concurrent.UnsafeBuffer confirmBuffer =
        new org.agrona.concurrent.UnsafeBuffer(new byte[8]);
    private Cluster cluster;
    private volatile Cluster.Role role = Cluster.Role.FOLLOWER;
    private volatile long commandsApplied;
    /** This run's own NODE_UP is applied: later claims are live, earlier ones history (a restart's replay). */
    private boolean live;
    /** Sequence of the last NODE_UP of this member's run applied here; 0 before the first. */
    private volatile long ownNodeUpSequence;
    /** Written before {@link #ownNodeUpSequence} on the service thread: see {@link #ownersAtOwnNodeUp()}. */
    private volatile Map<String, Integer> ownersAtOwnNodeUp = Map.of();
    private java.nio.file.Path stateFile;

    TernClusteredService(final int self, final long incarnation, final int maxMembers, final LocalBroker broker,
        final Queue<IndexUpdate> indexUpdates, final SessionMoves moves, final SharedGroups sharedGroups)
    {
        this.sharedGroups = sharedGroups;
        this.self = self;
        this.incarnation = incarnation;
        this.broker = broker;
        this.indexUpdates = indexUpdates;
        this.moves = moves;
        this.lastSequence = new long[maxMembers];
        this.incarnations = new long[maxMembers];
    }

    /** @return this member's role in the cluster, as last reported. */
    Cluster.Role role()
    {
        return role;
    }

    /**
     * @return the sequence of the last NODE_UP of this member's run (its incarnation) that this replica has applied,
     *         0 before the first: once it is the one the member sent last, the replica has applied the log up to it.
     */
    long ownNodeUpSequence()
    {
        return ownNodeUpSequence;
    }

    /**
     * @return the member owning each client's session when this replica applied this run's last own NODE_UP (read
     *         once {@link #ownNodeUpSequence()} says it is applied); empty before.
     */
    Map<String, Integer> ownersAtOwnNodeUp()
    {
        return ownersAtOwnNodeUp;
    }

    /** @return commands applied since start (replayed ones included). */
    long commandsApplied()
    {
        return commandsApplied;
    }

    @Override
    public void onStart(final Cluster cluster, final Image snapshotImage)
    {
        this.cluster = cluster;
        if (snapshotImage != null)
        {
            loadSnapshot(snapshotImage, cluster.idleStrategy());
        }
    }

    @Override
    public void onSessionOpen(final ClientSession session, final long timestamp)
    {
    }

    @Override
    public void onSessionClose(final ClientSession session, final long timestamp, final CloseReason closeReason)
    {
        final Integer member = memberBySession.remove(session.id());
        if (member != null && !memberBySession.containsValue(member))
        {
            LOG.info("cluster member {} is down ({})", member, closeReason);
            // its filters stay: the QoS 1/2 messages for its persistent sessions wait in the publishing members'
            // outboxes until it is back (see FILTERS_SYNCED for what it no longer has then); its shared groups'
            // messages go to the groups on the others meanwhile
            refreshSharedGroups(member);
            wills.memberDown(member, timestamp, cluster);
            sessions.memberDown(member, cluster);
        }
    }

    @Override
    public void onSessionMessage(final ClientSession session, final long timestamp, final DirectBuffer buffer,
        final int offset, final int length, final Header header)
    {
        final byte type = buffer.getByte(offset);
        final int member = buffer.getInt(offset + 1);
        final long sequence = buffer.getLong(offset + 5);
        if (member < 0 || member >= lastSequence.length)
        {
            return;
        }
        if (sequence <= lastSequence[member])
        {
            confirm(session, sequence);
            return; // already applied: commands are idempotent by origin and sequence
        }
        lastSequence[member] = sequence;
        confirm(session, sequence);
        commandsApplied++;
        final int body = offset + ClusterProtocol.BODY_OFFSET;
        switch (type)
        {
            case ClusterProtocol.NODE_UP:
                nodeUp(member, buffer.getLong(body), session.id());
                if (member == self && buffer.getLong(body) == incarnation)
                {
                    ownNodeUpSequence = sequence;
                }
                break;
            case ClusterProtocol.SUBSCRIBE:
            {
                final String filter = ClusterProtocol.getString(buffer, body);
                sessions.subscribed(member, filter);
                announced(filter, member, true);
                break;
            }
            case ClusterProtocol.UNSUBSCRIBE:
                announced(ClusterProtocol.getString(buffer, body), member, false);
                break;
            case ClusterProtocol.FILTERS_SYNCED:
                dropStale(member);
                break;
            case ClusterProtocol.RETAIN:
            {
                final int qos = buffer.getByte(body);
                final String topic = ClusterProtocol.getString(buffer, body + 1);
                final byte[] payload =
                    ClusterProtocol.getBytes(buffer, body + 1 + ClusterProtocol.stringLength(buffer, body + 1));
                retain(member, sequence, topic, qos, payload);
                break;
            }
            case ClusterProtocol.CLAIM:
            {
                final int after = body + ClusterProtocol.stringLength(buffer, body);
                final boolean held = after + 9 <= offset + length; // absent in logs of earlier versions
                final String clientId = ClusterProtocol.getString(buffer, body);
                if (after + 17 <= offset + length && cluster.timeUnit().toMillis(timestamp) > buffer.getLong(after + 9))
                {
                    // its CONNECT was answered 0x88 meanwhile: the session stays with its owner (the log's
                    // timestamp decides, so every member ignores it alike)
                    LOG.info("claim of {} by member {} committed after its CONNECT timed out: ignored", clientId,
                        member);
                    break;
                }
                claim(member, sequence, clientId, held ? buffer.getLong(after) : NO_CONNECTION,
                    held && buffer.getByte(after + 8) != 0);
                break;
            }
            case ClusterProtocol.WILL:
                wills.set(member, buffer, body);
                break;
            case ClusterProtocol.WILL_CLEAR:
                wills.clear(member, ClusterProtocol.getString(buffer, body));
                break;
            case ClusterProtocol.SESSION_DETACHED:
            {
                final Long owner = ownerByClientId.get(ClusterProtocol.getString(buffer, body));
                sessions.detached(member, buffer, body, timestamp, owner != null && (owner & 0xFF) == member, cluster);
                break;
            }
            case ClusterProtocol.SESSION_END:
                sessions.ended(member, ClusterProtocol.getString(buffer, body), cluster);
                break;
            case ClusterProtocol.WILL_PENDING:
            {
                final String clientId = ClusterProtocol.getString(buffer, body);
                if (wills.pending(member, clientId, timestamp))
                {
                    LOG.info("will of {} (member {}) pending since {}", clientId, member, timestamp);
                }
                break;
            }
            default:
                LOG.warn("unknown cluster command {} from member {}", type, member);
        }
    }

    /**
     * Tell the origin its command is in the log (only the leader's reply leaves; followers' are no-ops), so that it
     * stops keeping it for a resend after a leader change.
     */
    private void confirm(final ClientSession session, final long sequence)
    {
        confirmBuffer.putLong(0, sequence);
        session.offer(confirmBuffer, 0, 8); // best effort: an unconfirmed command is sent again, and dropped here
    }

    private void nodeUp(final int member, final long memberIncarnation, final long sessionId)
    {
        LOG.info("cluster member {} is up (incarnation {})", member, memberIncarnation);
        wills.memberUp(member, incarnations[member] == memberIncarnation, cluster);
        sessions.memberUp(member, incarnations[member] == memberIncarnation, cluster);
        incarnations[member] = memberIncarnation;
        live |= member == self && memberIncarnation == incarnation;
        if (member == self && memberIncarnation == incarnation)
        {
            // read by the forwarding agent once this NODE_UP is applied (the volatile write below publishes it)
            final java.util.HashMap<String, Integer> owners = new java.util.HashMap<>(ownerByClientId.size() * 2);
            for (final Map.Entry<String, Long> entry : ownerByClientId.entrySet())
            {
                owners.put(entry.getKey(), (int)(entry.getValue() & 0xFF));
            }
            ownersAtOwnNodeUp = owners;
        }
        memberBySession.put(sessionId, member);
        refreshSharedGroups(member);
        // a member (re)joining announces all its filters after this, then FILTERS_SYNCED drops those it did not
        // announce again (a restart's non-persistent sessions): meanwhile its earlier filters stay, so nothing
        // published in between misses a persistent session it restored
        for (final Map.Entry<String, Integer> entry : membersByFilter.entrySet())
        {
            if ((entry.getValue() & (1 << member)) != 0)
            {
                staleByFilter.merge(entry.getKey(), 1 << member, (a, b) -> a | b);
            }
        }
    }

    private void announced(final String filter, final int member, final boolean subscribed)
    {
        final Integer stale = staleByFilter.get(filter);
        if (stale != null)
        {
            final int after = stale & ~(1 << member);
            if (after == 0)
            {
                staleByFilter.remove(filter);
            }
            else
            {
                staleByFilter.put(filter, after);
            }
        }
        setMember(filter, member, subscribed);
    }

    /** The member has announced all its filters since its NODE_UP: the others it had go. */
    private void dropStale(final int member)
    {
        final List<String> filters = new ArrayList<>();
        for (final Map.Entry<String, Integer> entry : staleByFilter.entrySet())
        {
            if ((entry.getValue() & (1 << member)) != 0)
            {
                filters.add(entry.getKey());
            }
        }
        for (final String filter : filters)
        {
            announced(filter, member, false);
        }
    }

    private void setMember(final String filter, final int member, final boolean subscribed)
    {
        final int before = membersByFilter.getOrDefault(filter, 0);
        final int after = subscribed ? before | (1 << member) : before & ~(1 << member);
        if (after == before)
        {
            return;
        }
        if (after == 0)
        {
            membersByFilter.remove(filter);
        }
        else
        {
            membersByFilter.put(filter, after);
        }
        final int reachable = routedMembers(filter, after);
        indexUpdates.add(new IndexUpdate(filter, reachable));
        sharedGroups.update(filter, reachable);
    }

    /**
     * @return the members a message matching {@code filter} goes to: all that have it, except, for a shared group,
     *         those that are down (each message goes to the group on one member: one that can deliver it now).
     */
    private int routedMembers(final String filter, final int members)
    {
        if (!SharedGroups.isShared(filter))
        {
            return members;
        }
        int up = 0;
        for (final int m : memberBySession.values())
        {
            up |= 1 << m;
        }
        return members & up;
    }

    /** {@code member} went down or came up: the shared groups it has in the index and the picks change. */
    private void refreshSharedGroups(final int member)
    {
        for (final Map.Entry<String, Integer> entry : membersByFilter.entrySet())
        {
            if ((entry.getValue() & (1 << member)) != 0 && SharedGroups.isShared(entry.getKey()))
            {
                final int reachable = routedMembers(entry.getKey(), entry.getValue());
                indexUpdates.add(new IndexUpdate(entry.getKey(), reachable));
                sharedGroups.update(entry.getKey(), reachable);
            }
        }
    }

    private void retain(final int member, final long sequence, final String topic, final int qos,
        final byte[] payload)
    {
        if (payload.length == 0)
        {
            retained.remove(topic);
        }
        else
        {
            retained.put(topic, new Retained(qos, payload));
        }
        // this member's broker already has what its own clients retained since it started; the others store it
        // without delivering: their subscribers get it from the publishing member, in order with its other messages
        if (member != self || sequence < incarnation)
        {
            storeRetained(topic, qos, payload);
        }
    }

    private void storeRetained(final String topic, final int qos, final byte[] payload)
    {
        try
        {
            broker.storeRetained(topic, payload, qos);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("retained message on {} not stored here: {}", topic, ex.getMessage());
        }
    }

    /**
     * The claim applied last owns the session. The claimant's CONNECT was held until now; the previous owner closes
     * the old connection [MQTT-3.1.4-2] and hands the session over point to point ({@link SessionMoves}).
     */
    private void claim(final int member, final long sequence, final String clientId, final long connectionId,
        final boolean keepState)
    {
        final Long previous = ownerByClientId.get(clientId);
        final long epoch = previous == null ? 1 : (previous >>> 8) + 1;
        ownerByClientId.put(clientId, epoch << 8 | member);
        wills.claimed(member, clientId, cluster);
        sessions.claimed(clientId, cluster);
        final int previousOwner = previous == null ? -1 : (int)(previous & 0xFF);
        if (member == self)
        {
            if (sequence >= incarnation && connectionId != NO_CONNECTION)
            {
                // the state comes from the previous owner if it is up; otherwise the session starts from what is here
                final boolean fetch = keepState && previousOwner >= 0 && previousOwner != self &&
                    memberBySession.containsValue(previousOwner);
                moves.claimedHere(clientId, epoch, connectionId, fetch ? previousOwner : -1);
            }
        }
        else if (live)
        {
            moves.claimedElsewhere(clientId, epoch, member, keepState, previousOwner == self);
        }
        else
        {
            try
            {
                broker.disconnectTakenOver(clientId); // history: only a connection that is still open here goes
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("could not close the connection of {} taken over by member {}: {}", clientId, member,
                    ex.getMessage());
            }
        }
    }

    @Override
    public void onTimerEvent(final long correlationId, final long timestamp)
    {
        final ClusterSessions.Detached session = sessions.due(correlationId);
        if (session != null)
        {
            expire(session);
            return;
        }
        final ClusterWills.Will will = wills.due(correlationId);
        if (will == null)
        {
            return;
        }
        LOG.info("will of {} (member {} down) is due", will.clientId(), will.member());
        if (will.retain())
        {
            if (will.payload().length == 0)
            {
                retained.remove(will.topic());
            }
            else
            {
                retained.put(will.topic(), new Retained(will.qos(), will.payload()));
            }
        }
        // what this member's broker does is outside the replicated state: a member replaying an old log does not
        // publish a will again (wall clock against cluster time), unless retained (stored as the log says)
        final boolean fresh = System.currentTimeMillis() - cluster.timeUnit().toMillis(timestamp) < STALE_WILL_MS;
        if (will.member() != self && !fresh && will.retain())
        {
            storeRetained(will.topic(), will.qos(), will.payload());
        }
        else if (will.member() != self && fresh)
        {
            try
            {
                broker.publish(will.topic(), will.payload(), will.qos(), will.retain());
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("will of {} on {} not published: {}", will.clientId(), will.topic(), ex.getMessage());
            }
        }
    }

    /**
     * A detached session of a member that is down has expired: no member has it now (its member, back, drops what it
     * restored of it), and the member's filters only it had leave the index, so forwards to it stop.
     */
    private void expire(final ClusterSessions.Detached session)
    {
        final Long owner = ownerByClientId.get(session.clientId());
        if (owner == null || (owner & 0xFF) != session.member())
        {
            return;
        }
        ownerByClientId.put(session.clientId(), ((owner >>> 8) + 1) << 8 | NO_MEMBER);
        for (final String filter : session.filters())
        {
            setMember(filter, session.member(), false);
        }
        LOG.info("session {} of member {} (down) expired: filters {} dropped", session.clientId(), session.member(),
            session.filters());
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * Write the replicated state, as {@link #canonicalState()} puts it, to this file at every snapshot: members that
     * applied the same log write the same file for the same snapshot.
     *
     * @param file where, replaced at each snapshot; null for none.
     */
    void stateFile(final java.nio.file.Path file)
    {
        this.stateFile = file;
    }

    @Override
    public void onTakeSnapshot(final ExclusivePublication publication)
    {
        writeStateFile();
        final IdleStrategy idle = cluster.idleStrategy();
        for (int m = 0; m < lastSequence.length; m++)
        {
            snapshotBuffer.putByte(0, SNAP_MEMBER);
            snapshotBuffer.putInt(1, m);
            snapshotBuffer.putLong(5, lastSequence[m]);
            snapshotBuffer.putLong(13, incarnations[m]);
            offer(publication, 21, idle);
        }
        for (final Map.Entry<String, Integer> entry : membersByFilter.entrySet())
        {
            snapshotBuffer.putByte(0, SNAP_FILTER);
            snapshotBuffer.putInt(1, entry.getValue());
            offer(publication, ClusterProtocol.putString(snapshotBuffer, 5, entry.getKey()), idle);
        }
        for (final Map.Entry<String, Integer> entry : staleByFilter.entrySet())
        {
            snapshotBuffer.putByte(0, SNAP_STALE);
            snapshotBuffer.putInt(1, entry.getValue());
            offer(publication, ClusterProtocol.putString(snapshotBuffer, 5, entry.getKey()), idle);
        }
        for (final Map.Entry<String, Retained> entry : retained.entrySet())
        {
            snapshotBuffer.putByte(0, SNAP_RETAINED);
            snapshotBuffer.putByte(1, (byte)entry.getValue().qos());
            final int next = ClusterProtocol.putString(snapshotBuffer, 2, entry.getKey());
            offer(publication, ClusterProtocol.putBytes(snapshotBuffer, next, entry.getValue().payload()), idle);
        }
        for (final Map.Entry<String, Long> entry : ownerByClientId.entrySet())
        {
            snapshotBuffer.putByte(0, SNAP_OWNER);
            snapshotBuffer.putLong(1, entry.getValue());
            offer(publication, ClusterProtocol.putString(snapshotBuffer, 9, entry.getKey()), idle);
        }
        for (final Map.Entry<Long, Integer> entry : memberBySession.entrySet())
        {
            snapshotBuffer.putByte(0, SNAP_SESSION);
            snapshotBuffer.putLong(1, entry.getKey());
            snapshotBuffer.putInt(9, entry.getValue());
            offer(publication, 13, idle);
        }
        wills.snapshot(snapshotBuffer, SNAP_WILL_TIMER, SNAP_WILL, SNAP_PENDING_WILL,
            length -> offer(publication, length, idle));
        sessions.snapshot(snapshotBuffer, SNAP_SESSION_TIMER, SNAP_DETACHED, length -> offer(publication, length, idle));
        snapshotBuffer.putByte(0, SNAP_END);
        offer(publication, 1, idle);
    }

    private void offer(final ExclusivePublication publication, final int length, final IdleStrategy idle)
    {
        idle.reset();
        long result;
        while ((result = publication.offer(snapshotBuffer, 0, length)) < 0)
        {
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
            {
                throw new IllegalStateException("snapshot publication failed: " + result);
            }
            idle.idle();
        }
    }

    private void loadSnapshot(final Image image, final IdleStrategy idle)
    {
        final boolean[] done = new boolean[1];
        final FragmentHandler handler = new FragmentAssembler((buffer, offset, length, header) ->
        {
            switch (buffer.getByte(offset))
            {
                case SNAP_MEMBER:
                {
                    final int m = buffer.getInt(offset + 1);
                    if (m < lastSequence.length)
                    {
                        lastSequence[m] = buffer.getLong(offset + 5);
                        incarnations[m] = buffer.getLong(offset + 13);
                    }
                    break;
                }
                case SNAP_FILTER:
                {
                    final String filter = ClusterProtocol.getString(buffer, offset + 5);
                    final int members = buffer.getInt(offset + 1);
                    membersByFilter.put(filter, members);
                    indexUpdates.add(new IndexUpdate(filter, members));
                    sharedGroups.update(filter, members); // shared groups of members down: at the end
                    break;
                }
                case SNAP_STALE:
                    staleByFilter.put(ClusterProtocol.getString(buffer, offset + 5), buffer.getInt(offset + 1));
                    break;
                case SNAP_RETAINED:
                {
                    final int qos = buffer.getByte(offset + 1);
                    final String topic = ClusterProtocol.getString(buffer, offset + 2);
                    final byte[] payload = ClusterProtocol.getBytes(buffer,
                        offset + 2 + ClusterProtocol.stringLength(buffer, offset + 2));
                    retained.put(topic, new Retained(qos, payload));
                    storeRetained(topic, qos, payload);
                    break;
                }
                case SNAP_OWNER:
                    ownerByClientId.put(ClusterProtocol.getString(buffer, offset + 9), buffer.getLong(offset + 1));
                    break;
                case SNAP_SESSION:
                    memberBySession.put(buffer.getLong(offset + 1), buffer.getInt(offset + 9));
                    break;
                case SNAP_WILL_TIMER:
                    wills.loadTimerId(buffer, offset);
                    break;
                case SNAP_WILL:
                    wills.load(buffer, offset);
                    break;
                case SNAP_PENDING_WILL:
                    wills.loadPending(buffer, offset);
                    break;
                case SNAP_SESSION_TIMER:
                    sessions.loadTimerId(buffer, offset);
                    break;
                case SNAP_DETACHED:
                    sessions.load(buffer, offset);
                    break;
                case SNAP_END:
                    for (int m = 0; m < lastSequence.length; m++)
                    {
                        if (!memberBySession.containsValue(m))
                        {
                            refreshSharedGroups(m);
                        }
                    }
                    done[0] = true;
                    break;
                default:
                    throw new IllegalStateException("unknown snapshot record " + buffer.getByte(offset));
            }
        });
        idle.reset();
        while (!done[0])
        {
            final int fragments = image.poll(handler, 16);
            if (fragments == 0)
            {
                if (image.isClosed() || image.isEndOfStream())
                {
                    throw new IllegalStateException("snapshot ended before its end record");
                }
                idle.idle();
            }
        }
        LOG.info("cluster state loaded from snapshot: {} filters, {} retained, {} sessions owned",
            membersByFilter.size(), retained.size(), ownerByClientId.size());
    }

    @Override
    public void onRoleChange(final Cluster.Role newRole)
    {
        role = newRole;
        LOG.info("cluster member {} is now {}", self, newRole);
    }

    @Override
    public void onTerminate(final Cluster cluster)
    {
    }

    private void writeStateFile()
    {
        final java.nio.file.Path file = stateFile;
        if (file == null)
        {
            return;
        }
        try
        {
            final java.nio.file.Path next = file.resolveSibling(file.getFileName() + ".tmp");
            java.nio.file.Files.writeString(next, "logPosition " + cluster.logPosition() + "\n" + canonicalState());
            java.nio.file.Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final java.io.IOException ex)
        {
            LOG.warn("cluster state not written to {}: {}", file, ex.toString());
        }
    }

    /**
     * @return every part of the replicated state, one line per entry, in key order (every map is sorted): equal on
     *         members that applied the same log. Payloads appear as length and CRC-32.
     */
    String canonicalState()
    {
        final StringBuilder text = new StringBuilder(1024);
        for (int m = 0; m < lastSequence.length; m++)
        {
            text.append("member ").append(m).append(" sequence ").append(lastSequence[m]).append(" incarnation ")
                .append(incarnations[m]).append('\n');
        }
        for (final Map.Entry<String, Integer> entry : membersByFilter.entrySet())
        {
            text.append("filter ").append(entry.getKey()).append(" members ")
                .append(Integer.toBinaryString(entry.getValue())).append('\n');
        }
        for (final Map.Entry<String, Integer> entry : staleByFilter.entrySet())
        {
            text.append("stale ").append(entry.getKey()).append(" members ")
                .append(Integer.toBinaryString(entry.getValue())).append('\n');
        }
        for (final Map.Entry<String, Retained> entry : retained.entrySet())
        {
            final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(entry.getValue().payload());
            text.append("retained ").append(entry.getKey()).append(" qos ").append(entry.getValue().qos())
                .append(" bytes ").append(entry.getValue().payload().length).append(" crc ")
                .append(Long.toHexString(crc.getValue())).append('\n');
        }
        for (final Map.Entry<String, Long> entry : ownerByClientId.entrySet())
        {
            text.append("owner ").append(entry.getKey()).append(" member ").append(entry.getValue() & 0xFF)
                .append(" epoch ").append(entry.getValue() >>> 8).append('\n');
        }
        for (final Map.Entry<Long, Integer> entry : memberBySession.entrySet())
        {
            text.append("session ").append(entry.getKey()).append(" member ").append(entry.getValue()).append('\n');
        }
        wills.canonical(text);
        sessions.canonical(text);
        return text.toString();
    }

    /** @return a description of the replicated state, the same on every member after the same log (tests). */
    String describeState()
    {
        return "filters=" + membersByFilter + " retained=" + retained.keySet() + " owners=" + ownerByClientId + " "
            + wills.describe() + " " + sessions.describe();
    }
}
