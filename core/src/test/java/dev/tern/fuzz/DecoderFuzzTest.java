package dev.tern.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tern.codec.DecodeResult;
import dev.tern.codec.DecodedPacket;
import dev.tern.codec.PacketDecoder;
import dev.tern.codec.PacketType;
import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.ProtocolLevel;
import dev.tern.codec.ReasonCode;
import dev.tern.codec.RemainingLength;
import dev.tern.codec.TopicValidator;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz targets (Jazzer). In a normal test run they replay the committed corpus under
 * {@code src/test/resources/dev/tern/fuzz/DecoderFuzzTestInputs/} (regression mode); to fuzz for real, run
 * {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=DecoderFuzzTest#fuzzDecoder -Djazzer.max_duration=10m}.
 * Invariants: the decoder never throws, a refusal carries a reason code, and an accepted packet's fields and
 * properties lie inside the frame. Covers MQTT 3.1, 3.1.1 and 5.0 (both directions).
 */
class DecoderFuzzTest
{
    private final PacketDecoder decoder = new PacketDecoder();
    /** Decodes as a client does: what a server sends (PUBLISH may carry Subscription Identifiers). */
    private final PacketDecoder clientDecoder = new PacketDecoder(true);
    private final DecodedPacket packet = new DecodedPacket();

    @FuzzTest(maxDuration = "10s")
    void fuzzDecoder(final byte[] data)
    {
        if (data.length == 0)
        {
            return;
        }
        // First byte picks the connection's protocol level (0: 3.1.1, 1: 3.1, 2: 5.0, 3: 5.0 decoded as a client);
        // the rest is one frame.
        final int selector = data[0] & 3;
        final int level = selector == 0 ? ProtocolLevel.MQTT_3_1_1 :
            selector == 1 ? ProtocolLevel.MQTT_3_1 : ProtocolLevel.MQTT_5;
        final UnsafeBuffer frame = new UnsafeBuffer(data, 1, data.length - 1);
        packet.reset();
        final int result = (selector == 3 ? clientDecoder : decoder)
            .decode(frame, 0, data.length - 1, level, 1 << 20, packet);
        assertTrue(result == DecodeResult.OK || packet.failureReason >= ReasonCode.FIRST_FAILURE,
            "a failure without a reason code to report it");
        if (result == DecodeResult.OK)
        {
            assertPropertiesInside(packet.properties, data.length - 1);
            if (packet.type == PacketType.CONNECT && packet.willFlag)
            {
                assertPropertiesInside(packet.willProperties, data.length - 1);
            }
            if (packet.type == PacketType.PUBLISH)
            {
                assertInside(packet.topicOffset, packet.topicLength, data.length - 1);
                assertInside(packet.payloadOffset, packet.payloadLength, data.length - 1);
            }
            else if (packet.type == PacketType.SUBSCRIBE || packet.type == PacketType.UNSUBSCRIBE)
            {
                for (int i = 0; i < packet.count; i++)
                {
                    assertInside(packet.filterOffsets[i], packet.filterLengths[i], data.length - 1);
                }
            }
            else if (packet.type == PacketType.CONNECT)
            {
                assertInside(packet.clientIdOffset, packet.clientIdLength, data.length - 1);
            }
        }
    }

    @FuzzTest(maxDuration = "10s")
    void fuzzFraming(final byte[] data)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        final int value = RemainingLength.decode(buffer, 0, data.length);
        assertTrue(value >= RemainingLength.MALFORMED && value <= RemainingLength.MAX_VALUE);
        TopicValidator.isValidTopicFilter(buffer, 0, data.length);
        TopicValidator.isValidTopicName(buffer, 0, data.length);
    }

    private static void assertPropertiesInside(final Properties properties, final int frameLength)
    {
        for (int id = 1; id <= Property.MAX_ID; id++)
        {
            final int type = Property.type(id);
            if (properties.has(id) && (type == Property.TYPE_UTF8_STRING || type == Property.TYPE_BINARY))
            {
                assertInside(properties.offset(id), properties.length(id), frameLength);
            }
        }
        for (int i = 0; i < properties.userPropertyCount(); i++)
        {
            assertInside(properties.userKeyOffset(i), properties.userKeyLength(i), frameLength);
            assertInside(properties.userValueOffset(i), properties.userValueLength(i), frameLength);
        }
    }

    private static void assertInside(final int offset, final int length, final int frameLength)
    {
        assertTrue(offset >= 0 && length >= 0 && offset + length <= frameLength,
            "field [" + offset + ", +" + length + ") outside frame of " + frameLength);
    }
}
