package dev.tern.transport.nio;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz targets (Jazzer) for the WebSocket layer. A normal test run replays the committed corpus
 * under {@code src/test/resources/dev/tern/transport/nio/WebSocketFuzzTestInputs/}; to fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl transport-nio -am test -Dtest=WebSocketFuzzTest#fuzzFrames
 * -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration=10m} (the flag lets core, built by {@code -am}, match
 * no test).
 * Invariants: no exception, progress on every call (no endless loop), output bounded by the input, close and error
 * codes from RFC 6455's range.
 */
class WebSocketFuzzTest
{
    private static final int MAX_FRAME = 1 << 16;

    @FuzzTest(maxDuration = "10s")
    void fuzzFrames(final byte[] data)
    {
        if (data.length == 0)
        {
            return;
        }
        // first byte: how the stream is cut into reads and how small the output buffer is
        final int chunk = 1 + (data[0] & 0x3F);
        final ByteBuffer out = ByteBuffer.allocate(1 + ((data[0] >> 6) & 3) * 100);
        final WebSocketCodec codec = new WebSocketCodec(MAX_FRAME);
        final int[] codes = new int[1];
        final WebSocketCodec.Handler handler = new WebSocketCodec.Handler()
        {
            @Override
            public void onPing(final byte[] control, final int length)
            {
                assertTrue(length >= 0 && length <= 125, "ping length " + length);
            }

            @Override
            public void onClose(final int code)
            {
                codes[0] = code;
            }

            @Override
            public void onError(final int code)
            {
                assertTrue(code >= 1000 && code < 5000, "error code " + code);
                codes[0] = code;
            }
        };
        long produced = 0;
        final ByteBuffer in = ByteBuffer.allocate(data.length);
        in.flip();
        int position = 1;
        int calls = 0;
        while (true)
        {
            if (position < data.length)
            {
                // as the I/O agent does: unread bytes stay, the next read is appended
                in.compact();
                final int n = Math.min(chunk, data.length - position);
                in.put(data, position, n);
                position += n;
                in.flip();
            }
            final int before = in.remaining();
            final boolean usable = codec.decode(in, out, handler);
            produced += out.position();
            final boolean outputWasFull = !out.hasRemaining();
            out.clear();
            if (!usable)
            {
                break;
            }
            if (position >= data.length && in.remaining() == before && !outputWasFull)
            {
                break; // all input offered and nothing more can happen
            }
            assertTrue(++calls < 4 * data.length + 100, "no progress: endless decode loop");
        }
        assertTrue(produced <= data.length, "more payload out than bytes in: " + produced);
    }

    @FuzzTest(maxDuration = "10s")
    void fuzzUpgrade(final byte[] data)
    {
        final HttpUpgrade.Result result = HttpUpgrade.parse(ByteBuffer.wrap(data), "/mqtt");
        assertTrue(result != null, "a result for every input");
        if (result.complete())
        {
            assertTrue(result.response() != null, "a complete head gets a response");
            assertTrue(result.consumed() > 0 && result.consumed() <= data.length, "consumed " + result.consumed());
        }
    }
}
