package dev.tern.journal;

import dev.tern.storage.JournalRecordType;
import dev.tern.storage.JournalRecords;
import dev.tern.storage.JournalVisitor;
import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Turns journal records into one line of text each, for {@code tern journal dump}: a {@link JournalVisitor}, so each
 * record type is decoded by {@link JournalRecordType} as the replay decodes it. Not on any hot path.
 */
public final class RecordFormatter implements JournalVisitor
{
    private static final int PAYLOAD_PREVIEW = 32;

    private final JournalRecords.Reader reader = new JournalRecords.Reader();
    private Line line;

    /** One decoded record: its type, the client id and topic it concerns (either may be null), and its text. */
    public record Line(int type, String clientId, String topic, String text)
    {
    }

    /**
     * Format every record of a batch.
     *
     * @return the number of records that could not be decoded (0 or 1: decoding stops at the first bad one).
     */
    public int format(final DirectBuffer buffer, final int offset, final int length, final Consumer<Line> out)
    {
        reader.wrap(buffer, offset, length);
        try
        {
            while (reader.next())
            {
                line = null;
                if (!JournalRecordType.decode(reader, this))
                {
                    line = new Line(reader.type(), null, null, JournalRecords.name(reader.type()));
                }
                out.accept(line);
            }
            return 0;
        }
        catch (final IllegalStateException ex)
        {
            out.accept(new Line(-1, null, null, "DAMAGED " + ex.getMessage()));
            return 1;
        }
    }

    private void line(final JournalRecordType type, final String clientId, final String topic, final String text)
    {
        line = new Line(type.id(), clientId, topic, type.name() + " " + text);
    }

    @Override
    public void onSessionCreate(
        final String clientId, final boolean ownerKnown, final String userName, final boolean anonymousListener)
    {
        line(JournalRecordType.SESSION_CREATE, clientId, null, "client=" + clientId + " owner=" + (!ownerKnown ? "?" :
            (userName != null ? userName : "(no user name)") + (anonymousListener ? " anonymous-listener" : "")));
    }

    @Override
    public void onSessionDelete(final String clientId)
    {
        line(JournalRecordType.SESSION_DELETE, clientId, null, "client=" + clientId);
    }

    @Override
    public void onSubscribe(final String clientId, final String filter, final int options)
    {
        line(JournalRecordType.SUBSCRIBE, clientId, filter, "client=" + clientId + " filter=" + filter +
            " options=0x" + Integer.toHexString(options));
    }

    @Override
    public void onUnsubscribe(final String clientId, final String filter)
    {
        line(JournalRecordType.UNSUBSCRIBE, clientId, filter, "client=" + clientId + " filter=" + filter);
    }

    @Override
    public void onMessage(
        final long messageId, final int qos, final boolean retain, final String topic, final byte[] payload)
    {
        line(JournalRecordType.MESSAGE, null, topic, "id=" + messageId + " qos=" + qos + " retain=" + bit(retain) +
            " topic=" + topic + " payload=" + payload.length + "B " + preview(payload));
    }

    @Override
    public void onMessageV5(
        final long messageId, final int qos, final boolean retain, final String topic, final long expiresAtMs,
        final byte[] properties, final byte[] payload)
    {
        line(JournalRecordType.MESSAGE_V5, null, topic, "id=" + messageId + " qos=" + qos + " retain=" + bit(retain) +
            " topic=" + topic + (expiresAtMs == Long.MAX_VALUE ? "" :
            " expires=" + java.time.Instant.ofEpochMilli(expiresAtMs)) + " properties=" + properties.length +
            "B payload=" + payload.length + "B " + preview(payload));
    }

    @Override
    public void onSessionExpiry(final String clientId, final long expirySeconds)
    {
        line(JournalRecordType.SESSION_EXPIRY, clientId, null,
            "client=" + clientId + " expirySeconds=" + expirySeconds);
    }

    @Override
    public void onEnqueue(final String clientId, final long messageId, final int qos, final boolean retain)
    {
        line(JournalRecordType.ENQUEUE, clientId, null, "client=" + clientId + " message=" + messageId + " qos=" + qos +
            " retain=" + bit(retain));
    }

    @Override
    public void onInflight(
        final String clientId, final long messageId, final int packetId, final int qos, final boolean retain,
        final boolean fromQueue)
    {
        line(JournalRecordType.INFLIGHT, clientId, null, "client=" + clientId + " message=" + messageId +
            " packetId=" + packetId + " qos=" + qos + " retain=" + bit(retain) + " fromQueue=" + bit(fromQueue));
    }

    @Override
    public void onRelease(final String clientId, final int packetId)
    {
        packet(JournalRecordType.RELEASE, clientId, packetId);
    }

    @Override
    public void onPubrec(final String clientId, final int packetId)
    {
        packet(JournalRecordType.PUBREC, clientId, packetId);
    }

    @Override
    public void onQos2In(final String clientId, final int packetId)
    {
        packet(JournalRecordType.QOS2_IN, clientId, packetId);
    }

    @Override
    public void onQos2Done(final String clientId, final int packetId)
    {
        packet(JournalRecordType.QOS2_DONE, clientId, packetId);
    }

    @Override
    public void onRetainSet(final long messageId)
    {
        line(JournalRecordType.RETAIN_SET, null, null, "message=" + messageId);
    }

    @Override
    public void onRetainClear(final String topic)
    {
        line(JournalRecordType.RETAIN_CLEAR, null, topic, "topic=" + topic);
    }

    private void packet(final JournalRecordType type, final String clientId, final int packetId)
    {
        line(type, clientId, null, "client=" + clientId + " packetId=" + packetId);
    }

    private static int bit(final boolean flag)
    {
        return flag ? 1 : 0;
    }

    private static String preview(final byte[] payload)
    {
        final int n = Math.min(payload.length, PAYLOAD_PREVIEW);
        boolean printable = true;
        for (int i = 0; i < n; i++)
        {
            if (payload[i] < 0x20 || payload[i] > 0x7E)
            {
                printable = false;
                break;
            }
        }
        if (printable)
        {
            return "\"" + new String(payload, 0, n, StandardCharsets.US_ASCII) + (payload.length > n ? "…\"" : "\"");
        }
        final StringBuilder hex = new StringBuilder("0x");
        for (int i = 0; i < n; i++)
        {
            hex.append(Character.forDigit((payload[i] >> 4) & 0xF, 16)).append(Character.forDigit(payload[i] & 0xF, 16));
        }
        return payload.length > n ? hex.append('…').toString() : hex.toString();
    }
}
