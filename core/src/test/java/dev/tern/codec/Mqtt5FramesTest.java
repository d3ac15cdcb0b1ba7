package dev.tern.codec;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static dev.tern.codec.CodecTestSupport.assertFieldsInsideFrame;
import static dev.tern.codec.CodecTestSupport.decodeAsClient;
import static dev.tern.codec.CodecTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The canonical MQTT 5.0 corpus of {@link CodecTestSupport#validFrames5()}: each frame decodes, re-encodes with
 * {@link V5Encoder} to the same bytes, and every truncation of it is refused.
 */
class Mqtt5FramesTest
{
    @Test
    void shouldDecodeAndReencodeEveryCanonicalFrame()
    {
        for (final Map.Entry<String, byte[]> entry : CodecTestSupport.validFrames5().entrySet())
        {
            final CodecTestSupport.Decoded decoded = decodeAsClient(entry.getValue(), ProtocolLevel.MQTT_5);
            assertEquals("OK", DecodeResult.describe(decoded.result), entry.getKey());
            assertFieldsInsideFrame(decoded.packet, 0, entry.getValue().length);
            assertArrayEquals(entry.getValue(), CodecTestSupport.reencode5(decoded.packet),
                entry.getKey() + ": " + hex(CodecTestSupport.reencode5(decoded.packet)));
        }
    }

    @Test
    void shouldRefuseEveryTruncationWithFixedRemainingLength()
    {
        for (final Map.Entry<String, byte[]> entry : CodecTestSupport.validFrames5().entrySet())
        {
            final byte[] frame = entry.getValue();
            for (int cut = 2; cut < frame.length; cut++)
            {
                // Body cut short and the remaining length rewritten to match: the fields must notice.
                final byte[] truncated = CodecTestSupport.frame(frame[0] & 0xFF, Arrays.copyOfRange(frame, 2, cut));
                final CodecTestSupport.Decoded decoded = decodeAsClient(truncated, ProtocolLevel.MQTT_5);
                if (decoded.result == DecodeResult.OK)
                {
                    // A few prefixes are themselves valid packets (the short forms); they must then be canonical.
                    assertArrayEquals(truncated, CodecTestSupport.reencode5(decoded.packet),
                        entry.getKey() + " cut at " + cut);
                }
                else
                {
                    assertNotEquals(0, decoded.packet.failureReason, entry.getKey() + " cut at " + cut);
                }
            }
        }
    }
}
