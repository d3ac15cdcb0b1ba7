package dev.tern.pipeline;

import dev.tern.codec.DecodedPacket;
import dev.tern.storage.JournalRecords;
import org.agrona.ExpandableArrayBuffer;

import java.util.Arrays;

/**
 * A preallocated slot of the Disruptor ring. The bridge fills type, connection and frame; decode fills
 * {@link #packet}; route fills the outbound list; encode drains it.
 */
public final class PipelineEvent
{
    public static final int FRAME = 1;
    public static final int OPENED = 2;
    public static final int CLOSED = 3;
    public static final int WRITABLE = 4;
    public static final int INLINE_PUBLISH = 5;
    public static final int COMMAND = 6;
    public static final int TICK = 7;
    /** The I/O agent refused a packet of the connection; {@link #intArg} is the reason code. */
    public static final int REJECTED = 8;

    public int type;
    public long connectionId;
    /** OPENED: listener index; CLOSED: close reason; WRITABLE: 1 or 0. */
    public int intArg;
    public final ExpandableArrayBuffer frame = new ExpandableArrayBuffer(256);
    public int frameLength;
    /** When the bridge took this event off the ingress ring (System.nanoTime, read once per bridge duty cycle). */
    public long ingressNs;
    /** COMMAND: work to run on the route thread. */
    public Runnable command;

    public final DecodedPacket packet = new DecodedPacket();

    /** Durable-state records the route stage produced for this event; the journal stage appends them. */
    public final JournalRecords.Writer journal = new JournalRecords.Writer(new ExpandableArrayBuffer(64));
    /** True when {@link #journal} holds a full checkpoint rather than a delta. */
    public boolean checkpoint;
    public int decodeResult;

    private Outbound[] outbound = new Outbound[4];
    private int outboundCount;

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
        for (int i = 0; i < outboundCount; i++)
        {
            outbound[i].clear();
        }
        outboundCount = 0;
        command = null;
    }
}
