package dev.tern.pipeline;

import dev.tern.auth.AclFile;
import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ListenerConfig;
import dev.tern.codec.PacketEncoder;
import dev.tern.ring.RingProtocol;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The cost of access control on the PUBLISH path, measured where it is paid rather than as wall-clock throughput
 * (which a shared two-core machine turns into noise): the CPU time and the bytes allocated per message by the
 * pipeline's threads (bridge, decode, route, encode), the route thread on its own being the broker's throughput
 * bound. Same set-up as {@link PublishPathBenchmark}, but pipelined: the frames go into the ingress ring as fast as
 * it takes them while the egress ring is drained. ACL modes are run alternately, several rounds, medians reported.
 * <p>
 * {@code java $(flags) -cp bench/target/tern-bench.jar dev.tern.pipeline.AclCostProbe [MESSAGES] [ROUNDS] [QOS]}
 */
public final class AclCostProbe
{
    private static final long PUBLISHER = RingProtocol.connectionId(1, 0);
    private static final long SUBSCRIBER = RingProtocol.connectionId(2, 0);
    private static final String[] MODES = {"none", "covered", "checked"};
    private static final String[] THREADS = {"tern-bridge", "tern-decode", "tern-route", "tern-encode"};

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private final String acl;
    private final int qos;
    private final Broker broker;
    private final RingBuffer ingress;
    private final RingBuffer egress;
    private final UnsafeBuffer publishFrame = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 256]);
    private final int publishFrameLength;
    private final UnsafeBuffer ackFrame = new UnsafeBuffer(new byte[RingProtocol.PAYLOAD_OFFSET + 4]);
    private long delivered;

    private AclCostProbe(final String acl, final int qos)
    {
        this.acl = acl;
        this.qos = qos;
        final BrokerConfig config = BrokerConfig.defaults()
            .ingressRingCapacity(1 << 22)
            .egressRingCapacity(1 << 22)
            .maxPacketSize(64 * 1024)
            .sysIntervalSeconds(0)
            .maxInflight(65535)
            .threadLayout(BrokerConfig.ThreadLayout.DEDICATED) // the CPU of each stage is read from its own thread
            .conclude();
        final Authorizer authorizer = switch (acl)
        {
            case "covered" -> AclFile.of("probe", List.of("topic readwrite bench/#"));
            case "checked" -> AclFile.of("probe", List.of("topic readwrite bench/#", "topic deny bench/secret"));
            default -> Authorizer.ALLOW_ALL;
        };
        broker = new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)), Authenticator.ALLOW_ALL,
            authorizer, BrokerHooks.NONE);
        ingress = broker.ingress();
        egress = broker.egress(0);
        broker.start();
        PipelineSetup.open(ingress, PUBLISHER);
        PipelineSetup.open(ingress, SUBSCRIBER);
        PipelineSetup.send(ingress, PUBLISHER, PipelineSetup.packet((b, o) ->
            PacketEncoder.connect(b, o, 4, "pub", true, 0, null, null, 0, false, null, null)));
        PipelineSetup.send(ingress, SUBSCRIBER, PipelineSetup.packet((b, o) ->
            PacketEncoder.connect(b, o, 4, "sub", true, 0, null, null, 0, false, null, null)));
        PipelineSetup.send(ingress, SUBSCRIBER, PipelineSetup.packet((b, o) ->
            PacketEncoder.subscribe(b, o, 1, new String[] {"bench/+"}, new int[] {qos})));
        PipelineSetup.awaitEgress(egress, 3);
        publishFrame.putLong(RingProtocol.CONNECTION_ID_OFFSET, PUBLISHER);
        publishFrameLength = RingProtocol.PAYLOAD_OFFSET + PacketEncoder.publish(publishFrame,
            RingProtocol.PAYLOAD_OFFSET, qos, false, false, qos > 0 ? 1 : 0, "bench/x", new byte[64]);
        ackFrame.putLong(RingProtocol.CONNECTION_ID_OFFSET, SUBSCRIBER);
    }

    public static void main(final String[] args)
    {
        final int messages = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.printf(Locale.ROOT, "%d messages per run, %d rounds, modes alternated; medians%n", messages,
            rounds);
        System.out.printf(Locale.ROOT, "%-4s %-8s %14s %14s %14s %12s%n", "qos", "acl", "route ns/msg",
            "pipeline ns/msg", "wall ns/msg", "B/msg");
        final int[] qosLevels = args.length > 2 ? new int[] {Integer.parseInt(args[2])} : new int[] {0, 1};
        for (final int qos : qosLevels)
        {
            final double[][][] results = new double[MODES.length][4][rounds];
            for (int round = 0; round < rounds; round++)
            {
                for (int m = 0; m < MODES.length; m++)
                {
                    final AclCostProbe probe = new AclCostProbe(MODES[m], qos);
                    try
                    {
                        probe.run(messages / 4); // warm-up: JIT, caches, rings
                        final double[] r = probe.run(messages);
                        for (int k = 0; k < 4; k++)
                        {
                            results[m][k][round] = r[k];
                        }
                    }
                    finally
                    {
                        probe.broker.close();
                    }
                }
            }
            for (int m = 0; m < MODES.length; m++)
            {
                System.out.printf(Locale.ROOT, "%-4d %-8s %14.1f %14.1f %14.1f %12.2f%n", qos, MODES[m],
                    median(results[m][0]), median(results[m][1]), median(results[m][2]), median(results[m][3]));
            }
        }
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** @return route CPU ns/msg, pipeline CPU ns/msg, wall ns/msg, pipeline bytes allocated per message. */
    private double[] run(final int messages)
    {
        final long[] ids = threadIds();
        final long routeCpu = threads.getThreadCpuTime(ids[2]);
        final long cpu = sum(ids, true);
        final long allocated = sum(ids, false);
        final long startNs = System.nanoTime();
        final long target = delivered + messages;
        final MessageHandler drain = this::onEgress;
        final long deadlineNs = startNs + TimeUnit.MINUTES.toNanos(2);
        int sent = 0;
        while (delivered < target)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("only " + (messages - (target - delivered)) + " of " + messages +
                    " delivered in time (acl " + acl + ", qos " + qos + ")");
            }
            if (sent < messages && ingress.write(RingProtocol.MSG_FRAME, publishFrame, 0, publishFrameLength))
            {
                sent++;
            }
            if (egress.read(drain, 256) == 0 && sent == messages)
            {
                Thread.onSpinWait();
            }
        }
        final long wallNs = System.nanoTime() - startNs;
        return new double[] {
            (threads.getThreadCpuTime(ids[2]) - routeCpu) / (double)messages,
            (sum(ids, true) - cpu) / (double)messages,
            wallNs / (double)messages,
            (sum(ids, false) - allocated) / (double)messages};
    }

    private void onEgress(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final long connectionId = buffer.getLong(index);
        final int first = buffer.getByte(index + RingProtocol.PAYLOAD_OFFSET) & 0xFF;
        if (connectionId != SUBSCRIBER || (first & 0xF0) != 0x30)
        {
            return; // PUBACKs to the publisher
        }
        delivered++;
        if ((first & 0x06) != 0)
        {
            final int topicLength = buffer.getShort(index + RingProtocol.PAYLOAD_OFFSET + 2, ByteOrder.BIG_ENDIAN) &
                0xFFFF;
            final int packetId = buffer.getShort(index + RingProtocol.PAYLOAD_OFFSET + 4 + topicLength,
                ByteOrder.BIG_ENDIAN) & 0xFFFF;
            PacketEncoder.puback(ackFrame, RingProtocol.PAYLOAD_OFFSET, packetId);
            while (!ingress.write(RingProtocol.MSG_FRAME, ackFrame, 0, ackFrame.capacity()))
            {
                Thread.onSpinWait();
            }
        }
    }

    private long sum(final long[] ids, final boolean cpu)
    {
        long total = 0;
        for (final long id : ids)
        {
            total += cpu ? threads.getThreadCpuTime(id) : threads.getThreadAllocatedBytes(id);
        }
        return total;
    }

    /** The pipeline threads of this probe's broker (the only broker running). */
    private long[] threadIds()
    {
        final long[] ids = new long[THREADS.length];
        final List<Thread> all = new ArrayList<>(Thread.getAllStackTraces().keySet());
        for (int i = 0; i < THREADS.length; i++)
        {
            for (final Thread thread : all)
            {
                if (thread.getName().equals(THREADS[i]) && thread.isAlive())
                {
                    ids[i] = thread.getId();
                }
            }
            if (ids[i] == 0)
            {
                throw new IllegalStateException("no thread " + THREADS[i] + " (acl " + acl + ", qos " + qos + ")");
            }
        }
        return ids;
    }
}
