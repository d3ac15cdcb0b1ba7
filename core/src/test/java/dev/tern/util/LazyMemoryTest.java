package dev.tern.util;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Lazy memory is zeroed, usable as an Agrona ring, and costs resident memory only for the pages touched: the broker's
 * two 16 MiB rings, sized for 1 MiB packets, were 32 MiB of an idle broker's RSS as direct buffers.
 */
class LazyMemoryTest
{
    private static final Path STATUS = Path.of("/proc/self/status");

    @Test
    void shouldBeZeroedAndCarryRingMessages()
    {
        final int capacity = 1 << 20;
        final UnsafeBuffer memory = LazyMemory.allocate(capacity + RingBufferDescriptor.TRAILER_LENGTH);
        for (int i = 0; i < memory.capacity(); i += 4096)
        {
            assertEquals(0, memory.getByte(i), "zero at " + i);
        }
        final ManyToOneRingBuffer ring = new ManyToOneRingBuffer(memory);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[] {1, 2, 3});

        assertTrue(ring.write(7, message, 0, 3));

        final List<String> read = new ArrayList<>();
        assertEquals(1, ring.read((type, buffer, index, length) ->
            read.add(type + ":" + buffer.getByte(index) + buffer.getByte(index + 1) + buffer.getByte(index + 2))));
        assertEquals(List.of("7:123"), read);
    }

    @Test
    void shouldNotMakeUntouchedPagesResident() throws IOException
    {
        assumeTrue(Files.isReadable(STATUS), "VmRSS is read from /proc (Linux)");
        final int length = 64 << 20;
        final long beforeKb = residentKb();
        final UnsafeBuffer memory = LazyMemory.allocate(length);
        memory.putLong(0, 1L); // the first page, as a ring's first message would
        memory.putLong(length - 8, 1L); // and the trailer at the end
        final long afterKb = residentKb();

        // ByteBuffer.allocateDirect would add the whole 64 MiB (65,536 KiB); allow for other threads of this JVM
        assertTrue(afterKb - beforeKb < 8 * 1024, "VmRSS grew by " + (afterKb - beforeKb) + " KiB for " + length
            + " bytes of which two pages were touched");
        assertEquals(1L, memory.getLong(0));
    }

    private static long residentKb() throws IOException
    {
        for (final String line : Files.readAllLines(STATUS))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in " + STATUS);
    }
}
