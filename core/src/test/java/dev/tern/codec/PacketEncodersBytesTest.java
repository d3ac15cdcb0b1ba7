package dev.tern.codec;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The per-packet encoders write, for every packet type and both versions, the bytes the former PacketEncoder and
 * V5Encoder wrote for the same arguments (captured from them before the split, as hex), and their length methods
 * answer what they write.
 */
class PacketEncodersBytesTest
{
    private static final boolean V3 = false;
    private static final boolean V5 = true;
    /** "a/b" at 0, "hello" at 4. */
    private static final UnsafeBuffer SOURCE = new UnsafeBuffer("a/b|hello|".getBytes(StandardCharsets.UTF_8));

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
    private final PublishFields fields = new PublishFields();

    private void assertBytes(final String expectedHex, final int expectedLength, final int written)
    {
        final StringBuilder hex = new StringBuilder();
        for (int i = 0; i < written; i++)
        {
            hex.append(String.format("%02x", buffer.getByte(i) & 0xFF));
        }
        assertEquals(expectedHex, hex.toString());
        assertEquals(written, expectedLength, "length method");
    }

    private PublishFields publish(final boolean mqtt5, final int qos, final boolean dup, final boolean retain,
        final int packetId, final int payloadLength)
    {
        return fields.clear().header(mqtt5, qos, dup, retain, packetId).topic(SOURCE, 0, 3)
            .payload(SOURCE, 4, payloadLength);
    }

    private static Properties props()
    {
        return new Properties();
    }

    @Test
    void shouldWriteEvery311PacketAsBefore()
    {
        assertBytes("20020100", ConnackEncoder.length(V3, null), ConnackEncoder.encode(buffer, 0, V3, true, 0, null));
        assertBytes("20020005", ConnackEncoder.length(V3, props().set(Property.RECEIVE_MAXIMUM, 1)),
            ConnackEncoder.encode(buffer, 0, V3, false, 5, props().set(Property.RECEIVE_MAXIMUM, 1)));

        PublishFields f = publish(V3, 0, false, false, 0, 5);
        assertBytes("300a0003612f6268656c6c6f", PublishEncoder.length(f), PublishEncoder.encode(buffer, 0, f));
        f = publish(V3, 1, true, true, 0x0102, 5);
        assertBytes("3b0c0003612f62010268656c6c6f", PublishEncoder.length(f), PublishEncoder.encode(buffer, 0, f));
        // 5.0 properties are ignored for a 3.1.1 PUBLISH.
        f = publish(V3, 2, false, false, 0xFFFF, 0).encodedProperties(SOURCE, 0, 3, new int[] {1}, 4);
        assertBytes("34070003612f62ffff", PublishEncoder.length(f), PublishEncoder.encode(buffer, 0, f));
        assertEquals(PublishEncoder.length(f), PublishEncoder.length(V3, 2, 3, 9, 0));

        assertBytes("40021234", AckEncoder.length(V3, 0x10, null),
            AckEncoder.encode(buffer, 0, PacketType.PUBACK, V3, 0x1234, 0x10, null));
        assertBytes("50021234", AckEncoder.length(V3, 0, null),
            AckEncoder.encode(buffer, 0, PacketType.PUBREC, V3, 0x1234, 0, null));
        assertBytes("62021234", AckEncoder.length(V3, 0, null),
            AckEncoder.encode(buffer, 0, PacketType.PUBREL, V3, 0x1234, 0, null));
        assertBytes("70021234", AckEncoder.length(V3, 0, null),
            AckEncoder.encode(buffer, 0, PacketType.PUBCOMP, V3, 0x1234, 0, null));

        final int[] codes = {0, 1, 2, 0x80};
        assertBytes("9006000700010280", SubackEncoder.length(PacketType.SUBACK, V3, null, 4),
            SubackEncoder.encode(buffer, 0, PacketType.SUBACK, V3, 7, null, codes, 4));
        assertBytes("b0020009", SubackEncoder.length(PacketType.UNSUBACK, V3, null, 2),
            SubackEncoder.encode(buffer, 0, PacketType.UNSUBACK, V3, 9, null, codes, 2));

        assertBytes("c000", PingEncoder.LENGTH, PingEncoder.encode(buffer, 0, PacketType.PINGREQ));
        assertBytes("d000", PingEncoder.LENGTH, PingEncoder.encode(buffer, 0, PacketType.PINGRESP));
        assertBytes("e000", DisconnectEncoder.length(V3, 0x8E, null),
            DisconnectEncoder.encode(buffer, 0, V3, 0x8E, null));

        final ConnectFields full = new ConnectFields(4, "cid").session(true, 60)
            .will(null, "w/t", new byte[] {1, 2}, 1, true).credentials("u", new byte[] {9});
        assertBytes("101e00044d51545404ee003c00036369640003772f7400020102000175000109",
            ConnectEncoder.length(full), ConnectEncoder.encode(buffer, 0, full));
        assertBytes("100f00064d514973647003000000000163",
            ConnectEncoder.length(new ConnectFields(3, "c")),
            ConnectEncoder.encode(buffer, 0, new ConnectFields(3, "c")));

        final String[] filters = {"a/#", "b"};
        assertBytes("820c00030003612f230100016202", SubscribeEncoder.length(PacketType.SUBSCRIBE, V3, null, filters),
            SubscribeEncoder.encode(buffer, 0, PacketType.SUBSCRIBE, V3, 3, null, filters, new int[] {1, 2}));
        assertBytes("a20a00040003612f23000162", SubscribeEncoder.length(PacketType.UNSUBSCRIBE, V3, null, filters),
            SubscribeEncoder.encode(buffer, 0, PacketType.UNSUBSCRIBE, V3, 4, null, filters, null));
    }

    @Test
    void shouldWriteEvery50PacketAsBefore()
    {
        assertBytes("2003010000", ConnackEncoder.length(V5, null), ConnackEncoder.encode(buffer, 0, V5, true, 0, null));
        final Properties connack = props().set(Property.RECEIVE_MAXIMUM, 10).set(Property.REASON_STRING, "ok");
        assertBytes("200b0087081f00026f6b21000a", ConnackEncoder.length(V5, connack),
            ConnackEncoder.encode(buffer, 0, V5, false, 0x87, connack));

        final Properties publish = props().set(Property.MESSAGE_EXPIRY_INTERVAL, 60).addSubscriptionIdentifier(3);
        PublishFields f = publish(V5, 1, false, true, 10, 5).properties(publish);
        assertBytes("33140003612f62000a07020000003c0b0368656c6c6f", PublishEncoder.length(f),
            PublishEncoder.encode(buffer, 0, f));
        assertEquals(PublishEncoder.length(f), PublishEncoder.length(1, 3, publish, 5));
        f = publish(V5, 0, false, false, 0, 5);
        assertBytes("300b0003612f620068656c6c6f", PublishEncoder.length(f), PublishEncoder.encode(buffer, 0, f));

        final UnsafeBuffer contentType = new UnsafeBuffer(new byte[5]);
        contentType.putByte(0, (byte)Property.CONTENT_TYPE);
        contentType.putShort(1, (short)2, ByteOrder.BIG_ENDIAN);
        contentType.putBytes(3, "ct".getBytes(StandardCharsets.US_ASCII));
        f = publish(V5, 2, true, false, 77, 5).encodedProperties(contentType, 0, 5, new int[] {1, 300}, 5);
        assertBytes("3c1a0003612f62004d0d0b010bac02230005030002637468656c6c6f", PublishEncoder.length(f),
            PublishEncoder.encode(buffer, 0, f));
        assertEquals(PublishEncoder.length(f),
            PublishEncoder.length(V5, 2, 3, 5 + PublishEncoder.serverPropertiesLength(new int[] {1, 300}, 5), 5));
        f = publish(V5, 0, false, false, 0, 5).topic(null, 0, 0).encodedProperties(null, 0, 0, null, 5);
        assertBytes("300b00000323000568656c6c6f", PublishEncoder.length(f), PublishEncoder.encode(buffer, 0, f));
        f = publish(V5, 0, false, false, 0, 0).encodedProperties(null, 0, 0, null, 0).payload(null, 0, 0);
        assertBytes("30060003612f6200", PublishEncoder.length(f), PublishEncoder.encode(buffer, 0, f));

        assertBytes("40021234", AckEncoder.length(V5, 0, null),
            AckEncoder.encode(buffer, 0, PacketType.PUBACK, V5, 0x1234, 0, null));
        assertBytes("5003123410", AckEncoder.length(V5, 0x10, null),
            AckEncoder.encode(buffer, 0, PacketType.PUBREC, V5, 0x1234, 0x10, null));
        final Properties gone = props().set(Property.REASON_STRING, "gone");
        assertBytes("620b123492071f0004676f6e65", AckEncoder.length(V5, 0x92, gone),
            AckEncoder.encode(buffer, 0, PacketType.PUBREL, V5, 0x1234, 0x92, gone));
        final Properties user = props().addUserProperty("k", "v");
        assertBytes("700b123400072600016b000176", AckEncoder.length(V5, 0, user),
            AckEncoder.encode(buffer, 0, PacketType.PUBCOMP, V5, 0x1234, 0, user));

        final Properties reason = props().set(Property.REASON_STRING, "r");
        assertBytes("900a0007041f000172000187", SubackEncoder.length(PacketType.SUBACK, V5, reason, 3),
            SubackEncoder.encode(buffer, 0, PacketType.SUBACK, V5, 7, reason, new int[] {0, 1, 0x87}, 3));
        assertBytes("b0050009000011", SubackEncoder.length(PacketType.UNSUBACK, V5, null, 2),
            SubackEncoder.encode(buffer, 0, PacketType.UNSUBACK, V5, 9, null, new int[] {0, 0x11}, 2));

        assertBytes("e000", DisconnectEncoder.length(V5, 0, null), DisconnectEncoder.encode(buffer, 0, V5, 0, null));
        assertBytes("e0018e", DisconnectEncoder.length(V5, 0x8E, null),
            DisconnectEncoder.encode(buffer, 0, V5, 0x8E, null));
        final Properties bad = props().set(Property.REASON_STRING, "bad");
        assertBytes("e00881061f0003626164", DisconnectEncoder.length(V5, 0x81, bad),
            DisconnectEncoder.encode(buffer, 0, V5, 0x81, bad));

        assertBytes("f000", AuthEncoder.length(0, null), AuthEncoder.encode(buffer, 0, 0, null));
        final Properties method = props().set(Property.AUTHENTICATION_METHOD, "m");
        assertBytes("f00618041500016d", AuthEncoder.length(0x18, method), AuthEncoder.encode(buffer, 0, 0x18, method));
        assertBytes("f0021900", AuthEncoder.length(0x19, null), AuthEncoder.encode(buffer, 0, 0x19, null));

        final Properties connect = props().set(Property.RECEIVE_MAXIMUM, 5);
        final Properties will = props().set(Property.CONTENT_TYPE, "t");
        final ConnectFields full = new ConnectFields(5, "cid").session(true, 30).properties(connect)
            .will(will, "w/t", new byte[] {1}, 2, false).credentials("u", new byte[] {9, 8});
        assertBytes("102700044d51545405d6001e03210005000363696404030001740003772f7400010100017500020908",
            ConnectEncoder.length(full), ConnectEncoder.encode(buffer, 0, full));
        assertBytes("100d00044d51545405000000000000", ConnectEncoder.length(new ConnectFields(5, "")),
            ConnectEncoder.encode(buffer, 0, new ConnectFields(5, "")));

        final Properties subscription = props().addSubscriptionIdentifier(42);
        final String[] filters = {"a/#", "b"};
        assertBytes("820f0003020b2a0003612f232d00016200",
            SubscribeEncoder.length(PacketType.SUBSCRIBE, V5, subscription, filters),
            SubscribeEncoder.encode(buffer, 0, PacketType.SUBSCRIBE, V5, 3, subscription, filters,
                new int[] {V5Encoder.subscriptionOptions(1, true, true, 2), 0}));
        final String[] one = {"a/#"};
        assertBytes("a2080004000003612f23", SubscribeEncoder.length(PacketType.UNSUBSCRIBE, V5, null, one),
            SubscribeEncoder.encode(buffer, 0, PacketType.UNSUBSCRIBE, V5, 4, null, one, null));
    }
}
