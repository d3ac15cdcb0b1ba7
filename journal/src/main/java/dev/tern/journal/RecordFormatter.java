package dev.tern.journal;

import dev.tern.storage.JournalRecords;
import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Turns journal records into one line of text each, for {@code tern journal dump}. Not on any hot path.
 */
public final class RecordFormatter
{
    private static final int PAYLOAD_PREVIEW = 32;

    private final JournalRecords.Reader reader = new JournalRecords.Reader();

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
                out.accept(line(reader));
            }
            return 0;
        }
        catch (final IllegalStateException ex)
        {
            out.accept(new Line(-1, null, null, "DAMAGED " + ex.getMessage()));
            return 1;
        }
    }

    private static Line line(final JournalRecords.Reader r)
    {
        final int type = r.type();
        final String name = JournalRecords.name(type);
        switch (type)
        {
            case JournalRecords.SESSION_CREATE:
            {
                final String client = r.string();
                if (!r.hasRemaining())
                {
                    return new Line(type, client, null, name + " client=" + client + " owner=?"); // older journal
                }
                final int owner = r.u8();
                final String username = r.string();
                return new Line(type, client, null, name + " client=" + client + " owner=" +
                    ((owner & JournalRecords.OWNER_USER_NAME) != 0 ? username : "(no user name)") +
                    ((owner & JournalRecords.OWNER_ANONYMOUS_LISTENER) != 0 ? " anonymous-listener" : ""));
            }
            case JournalRecords.SESSION_DELETE:
            {
                final String client = r.string();
                return new Line(type, client, null, name + " client=" + client);
            }
            case JournalRecords.SUBSCRIBE:
            {
                final String client = r.string();
                final String filter = r.string();
                final int options = r.i32();
                return new Line(type, client, filter, name + " client=" + client + " filter=" + filter +
                    " options=0x" + Integer.toHexString(options));
            }
            case JournalRecords.UNSUBSCRIBE:
            {
                final String client = r.string();
                final String filter = r.string();
                return new Line(type, client, filter, name + " client=" + client + " filter=" + filter);
            }
            case JournalRecords.MESSAGE:
            {
                final long id = r.i64();
                final int qos = r.u8();
                final int retain = r.u8();
                final String topic = r.string();
                final byte[] payload = r.bytes();
                return new Line(type, null, topic, name + " id=" + id + " qos=" + qos + " retain=" + retain +
                    " topic=" + topic + " payload=" + payload.length + "B " + preview(payload));
            }
            case JournalRecords.MESSAGE_V5:
            {
                final long id = r.i64();
                final int qos = r.u8();
                final int retain = r.u8();
                final String topic = r.string();
                final long expiresAtMs = r.i64();
                final byte[] properties = r.bytes();
                final byte[] payload = r.bytes();
                return new Line(type, null, topic, name + " id=" + id + " qos=" + qos + " retain=" + retain +
                    " topic=" + topic + (expiresAtMs == Long.MAX_VALUE ? "" :
                    " expires=" + java.time.Instant.ofEpochMilli(expiresAtMs)) + " properties=" + properties.length +
                    "B payload=" + payload.length + "B " + preview(payload));
            }
            case JournalRecords.SESSION_EXPIRY:
            {
                final String client = r.string();
                final long seconds = r.i64();
                return new Line(type, client, null, name + " client=" + client + " expirySeconds=" + seconds);
            }
            case JournalRecords.ENQUEUE:
            {
                final String client = r.string();
                final long id = r.i64();
                final int qos = r.u8();
                final int retain = r.u8();
                return new Line(type, client, null, name + " client=" + client + " message=" + id + " qos=" + qos +
                    " retain=" + retain);
            }
            case JournalRecords.INFLIGHT:
            {
                final String client = r.string();
                final long id = r.i64();
                final int packetId = r.u16();
                final int qos = r.u8();
                final int retain = r.u8();
                final int fromQueue = r.u8();
                return new Line(type, client, null, name + " client=" + client + " message=" + id + " packetId=" +
                    packetId + " qos=" + qos + " retain=" + retain + " fromQueue=" + fromQueue);
            }
            case JournalRecords.RELEASE:
            case JournalRecords.PUBREC:
            case JournalRecords.QOS2_IN:
            case JournalRecords.QOS2_DONE:
            {
                final String client = r.string();
                final int packetId = r.u16();
                return new Line(type, client, null, name + " client=" + client + " packetId=" + packetId);
            }
            case JournalRecords.RETAIN_SET:
                return new Line(type, null, null, name + " message=" + r.i64());
            case JournalRecords.RETAIN_CLEAR:
            {
                final String topic = r.string();
                return new Line(type, null, topic, name + " topic=" + topic);
            }
            default:
                return new Line(type, null, null, name);
        }
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
