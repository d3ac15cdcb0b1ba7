package dev.tern.event;

import dev.tern.codec.DecodedPacket;
import dev.tern.ring.RingProtocol;
import dev.tern.storage.JournalRecords;
import org.agrona.ExpandableArrayBuffer;

import java.util.Arrays;

/**
 * A preallocated slot of the Disruptor ring. The bridge fills type, connection and frame; decode fills
 * {@link #packet}; route fills the outbound list; encode drains it.
 */
public final class PipelineEvent
{
    /** One of the {@link RingProtocol} message ids: the ingress message this event was made of, or COMMAND or TICK. */
    public int type;
    public long connectionId;
    /** The value of an ingress message other than a frame: OPENED listener index, CLOSED reason, WRITABLE 1 or 0... */
    public int intArg;
    /**
     * The frame as received, or the rest of another ingress message's payload (the OPENED addresses); replaced by a
     * small one after a large packet (see {@link #clearOutbound()}).
     */
    public ExpandableArrayBuffer frame = new ExpandableArrayBuffer(256);
    public int frameLength;
    /** When the bridge took this event off the ingress ring (System.nanoTime, read once per bridge duty cycle). */
    public long ingressNs;
    /** COMMAND: work to run on the route thread. */
    public Runnable command;

    public final DecodedPacket packet = new DecodedPacket();
    /**
     * FRAME and INLINE, set by the decode stage, which owns the fact: the protocol level of the connection, by which
     * the frame was decoded; for a connection's first CONNECT, the level it asks for ({@code ProtocolLevel.UNKNOWN}
     * before any).
     */
    public int protocolLevel;

    /** Durable-state records the route stage produced for this event; the journal stage appends them. */
    public final JournalRecords.Writer journal = new JournalRecords.Writer(new ExpandableArrayBuffer(64));
    /** True when {@link #journal} holds a full checkpoint rather than a delta. */
    public boolean checkpoint;
    /**
     * Set by the journal stage: this event's records were not stored (the journal failed), so the encode stage must not
     * acknowledge the publishes it routed.
     */
    public boolean journalFailed;
    public int decodeResult;

    /** Outbound slots an event starts with and keeps at least. */
    private static final int INITIAL_OUTBOUNDS = 4;
    /** Uses in a row that needed at most a quarter of the slots, after which half of them are given back. */
    private static final int QUIET_USES_BEFORE_SHRINK = 32;
    /** Frame capacity kept after a larger frame; larger buffers are given back once the event is done. */
    private static final int FRAME_KEEP_BYTES = 64 * 1024;

    private Outbound[] outbound = new Outbound[INITIAL_OUTBOUNDS];
    private int outboundCount;
    private int quietUses;

    public PipelineEvent()
    {
        for (int i = 0; i < outbound.length; i++)
        {
            outbound[i] = new Outbound();
        }
    }

    public Outbound addOutbound(final int kind, final long connectionId)
    {
        if (outboundCount == outbound.length)
        {
            final int oldLength = outbound.length;
            outbound = Arrays.copyOf(outbound, oldLength * 2);
            for (int i = oldLength; i < outbound.length; i++)
            {
                outbound[i] = new Outbound();
            }
        }
        final Outbound o = outbound[outboundCount++];
        o.kind = kind;
        o.connectionId = connectionId;
        o.packetId = 0;
        o.qos = 0;
        o.dup = false;
        o.retain = false;
        o.codeCount = 0;
        o.mqtt5 = false;
        o.reasonCode = 0;
        o.properties.clear();
        o.propertiesSrc = null;
        o.propertiesLength = 0;
        o.expiryValueIndex = -1;
        o.subscriptionIds = null;
        o.topicAlias = 0;
        return o;
    }

    /** Outbound slots allocated in this event (at least the most used lately). */
    int outboundCapacity()
    {
        return outbound.length;
    }

    public int outboundCount()
    {
        return outboundCount;
    }

    public Outbound outbound(final int i)
    {
        return outbound[i];
    }

    /** Called by the last stage: drop references so stored messages can be collected. */
    public void clearOutbound()
    {
        final int used = outboundCount;
        for (int i = 0; i < used; i++)
        {
            outbound[i].clear();
        }
        outboundCount = 0;
        command = null;
        // A burst (a queue drained on reconnect, a large fan-out) grows a slot's outbound list and frame; keep what
        // steady traffic needs, but give the rest back once the burst has passed, so the ring's footprint does not
        // creep up slot by slot to the worst case of every slot.
        if (outbound.length > INITIAL_OUTBOUNDS)
        {
            if (used <= outbound.length / 4 && ++quietUses >= QUIET_USES_BEFORE_SHRINK)
            {
                outbound = Arrays.copyOf(outbound, Math.max(INITIAL_OUTBOUNDS, outbound.length / 2));
                quietUses = 0;
            }
            else if (used > outbound.length / 4)
            {
                quietUses = 0;
            }
        }
        if (frame.capacity() > FRAME_KEEP_BYTES)
        {
            frame = new ExpandableArrayBuffer(256); // published to the next producer by the ring's sequences
        }
    }
}
