package dev.tern.cluster;

import dev.tern.broker.ClientInfo;
import dev.tern.config.TernSetup;

import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.codecs.CatalogHeaderDecoder;
import io.aeron.archive.codecs.RecordingDescriptorDecoder;
import io.aeron.archive.codecs.RecordingDescriptorEncoder;
import io.aeron.archive.codecs.RecordingDescriptorHeaderDecoder;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.protocol.DataHeaderFlyweight;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.tern.cluster.ClusterNodeRestartTest.awaitTrue;
import static dev.tern.cluster.ClusterNodeRestartTest.freeBasePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member killed (SIGKILL) while its archive wrote the last fragment of the log across a page boundary leaves a
 * recording without stop position whose last fragment straddles a 4 KiB page with the later page unwritten. Aeron's
 * archive refuses to open such a catalog and asks for {@code ArchiveTool verify}; the member must do that itself.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ClusterNodeArchiveRecoveryTest
{
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void shouldStartAgainAfterACrashLeftAnIncompleteFragmentStraddlingAPageBoundary() throws Exception
    {
        final TernSetup.Cluster settings = new TernSetup.Cluster(0,
            List.of(new TernSetup.Member("127.0.0.1", freeBasePort())), dir.resolve("node0"), 1000,
            TernSetup.ClusterIdle.BACKOFF);
        final ClientInfo client = new ClientInfo("c1", null, "127.0.0.1:5000", "default", 4);
        try (ClusterNode node = new ClusterNode(settings))
        {
            node.start(new ClusterNodeRestartTest.RecordingBroker());
            awaitTrue(node::joined, "member joined");
            node.hooks().onPublish(client, "r/1", "one".getBytes(StandardCharsets.UTF_8), 1, true);
            awaitTrue(() -> node.describeState().contains("r/1"), "command applied: " + node.describeState());
        }

        final File archiveDir = dir.resolve("node0").resolve("archive").toFile();
        final Damage damage = crashMidFragment(archiveDir, 0);

        final ClusterNodeRestartTest.RecordingBroker second = new ClusterNodeRestartTest.RecordingBroker();
        try (ClusterNode node = new ClusterNode(settings))
        {
            node.start(second);
            awaitTrue(node::joined, "member joined again");
            awaitTrue(() -> second.calls.contains("publish r/1=one retain=true"),
                "log replayed after the restart: " + second.calls);
        }
        // the incomplete fragment was cut off (the log may have grown from there since)
        assertTrue(frameLengthAt(damage.segment, damage.offset) != damage.length,
            "incomplete fragment removed from " + damage.segment);
    }

    /** Where the incomplete fragment was written. */
    private record Damage(File segment, long offset, int length)
    {
    }

    /**
     * Put recording {@code recordingId} into the state a kill mid-write leaves: no stop position in the catalog, and
     * after its last complete frame a fragment whose header is written but whose part in the next page is not.
     *
     * @return the incomplete fragment.
     */
    private static Damage crashMidFragment(final File archiveDir, final long recordingId) throws IOException
    {
        final File catalogFile = new File(archiveDir, "archive.catalog");
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(catalogFile, "catalog");
        long startPosition = -1;
        int termLength = 0;
        try
        {
            final UnsafeBuffer catalog = new UnsafeBuffer(mapped);
            final CatalogHeaderDecoder header = new CatalogHeaderDecoder()
                .wrap(catalog, 0, CatalogHeaderDecoder.BLOCK_LENGTH, CatalogHeaderDecoder.SCHEMA_VERSION);
            final RecordingDescriptorHeaderDecoder entryHeader = new RecordingDescriptorHeaderDecoder();
            final RecordingDescriptorDecoder entry = new RecordingDescriptorDecoder();
            int offset = header.length();
            while (offset < catalog.capacity())
            {
                entryHeader.wrap(catalog, offset, RecordingDescriptorHeaderDecoder.BLOCK_LENGTH,
                    RecordingDescriptorHeaderDecoder.SCHEMA_VERSION);
                if (entryHeader.length() <= 0)
                {
                    break;
                }
                final int body = offset + RecordingDescriptorHeaderDecoder.BLOCK_LENGTH;
                entry.wrap(catalog, body, RecordingDescriptorDecoder.BLOCK_LENGTH,
                    RecordingDescriptorDecoder.SCHEMA_VERSION);
                if (entry.recordingId() == recordingId)
                {
                    assertTrue(entry.stopPosition() > entry.startPosition(), "recording has data");
                    startPosition = entry.startPosition();
                    termLength = entry.termBufferLength();
                    new RecordingDescriptorEncoder().wrap(catalog, body)
                        .stopPosition(AeronArchive.NULL_POSITION)
                        .stopTimestamp(AeronArchive.NULL_TIMESTAMP);
                    break;
                }
                offset += BitUtil.align(entryHeader.length() + RecordingDescriptorHeaderDecoder.BLOCK_LENGTH,
                    header.alignment());
            }
            mapped.force();
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
        assertTrue(termLength > 0, "recording " + recordingId + " in " + catalogFile);

        // one segment in this short run: it starts at the term holding the start position
        final long segmentBase = startPosition - (startPosition & (termLength - 1));
        final File segment = new File(archiveDir, recordingId + "-" + segmentBase + ".rec");
        final int firstFrame = (int)(startPosition - segmentBase);
        final int end = (int)endOfValidFrames(segment, firstFrame);
        try (FileChannel channel = FileChannel.open(segment.toPath(), StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            // copy the last frame's header, then claim a length that reaches 64 bytes into the next page, which
            // stays zero: the fragment straddles the boundary and its later page looks unwritten
            final ByteBuffer last = ByteBuffer.allocate(DataHeaderFlyweight.HEADER_LENGTH);
            channel.read(last, lastFrameOffset(segment, firstFrame));
            final UnsafeBuffer frame = new UnsafeBuffer(last);
            final int length = PAGE - (end % PAGE) + 64;
            frame.putInt(DataHeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET, length);
            frame.putInt(DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, end & (termLength - 1));
            last.clear();
            assertEquals(DataHeaderFlyweight.HEADER_LENGTH, channel.write(last, end));
            assertTrue(channel.size() >= end + length + PAGE, "segment preallocated");
            return new Damage(segment, end, length);
        }
    }

    /** @return the offset just past the last frame with a positive length, scanning from {@code from}. */
    private static long endOfValidFrames(final File segment, final int from) throws IOException
    {
        final UnsafeBuffer data = new UnsafeBuffer(Files.readAllBytes(segment.toPath()));
        int offset = from;
        while (offset + DataHeaderFlyweight.HEADER_LENGTH <= data.capacity())
        {
            final int length = data.getInt(offset + DataHeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET);
            if (length <= 0)
            {
                break;
            }
            offset += BitUtil.align(length, FrameDescriptor.FRAME_ALIGNMENT);
        }
        return offset;
    }

    private static int frameLengthAt(final File segment, final long offset) throws IOException
    {
        try (FileChannel channel = FileChannel.open(segment.toPath(), StandardOpenOption.READ))
        {
            final ByteBuffer length = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(length, offset + DataHeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET);
            return length.getInt(0);
        }
    }

    private static long lastFrameOffset(final File segment, final int from) throws IOException
    {
        final UnsafeBuffer data = new UnsafeBuffer(Files.readAllBytes(segment.toPath()));
        int offset = from;
        int last = from;
        while (offset + DataHeaderFlyweight.HEADER_LENGTH <= data.capacity())
        {
            final int length = data.getInt(offset + DataHeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET);
            if (length <= 0)
            {
                break;
            }
            last = offset;
            offset += BitUtil.align(length, FrameDescriptor.FRAME_ALIGNMENT);
        }
        return last;
    }
}
