package dev.tern.cluster;

import dev.tern.broker.BrokerCounters;
import dev.tern.broker.BrokerHooks;
import dev.tern.config.TernSetup;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.ArchiveTool;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.aeron.cluster.ClusterTool;
import io.aeron.cluster.ClusteredMediaDriver;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.ElectionState;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a Tern cluster, beside its broker: an Aeron media driver, archive and consensus module
 * ({@link ClusteredMediaDriver}), the clustered service ({@link TernClusteredService}), and an agent thread
 * ({@code tern-cluster}) that sends this member's commands into the cluster and forwards its clients' publishes to
 * the members with matching subscribers, point to point over Aeron publications, once per member.
 *
 * <p>Create it, install {@link #hooks()} in the broker, start the broker, then {@link #start(LocalBroker)}.
 * Every thread idles with a backoff or sleeping strategy; none busy-spins. Buffers are small (64 KiB to 1 MiB terms)
 * so that several members fit on one small host.
 */
public final class ClusterNode implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

    private static final int INGRESS = 0;
    private static final int CONSENSUS = 1;
    private static final int LOG_PORT = 2;
    private static final int CATCHUP = 3;
    private static final int ARCHIVE = 4;
    private static final int LOG_CONTROL = 5;
    private static final int FORWARD = 6;

    private static final String TERM = "term-length=1m";
    private static final int HOOK_RING_CAPACITY = 4 * 1024 * 1024;
    private static final long KEEP_ALIVE_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int FORWARD_ATTEMPTS = 100;
    private static final long MARK_FILE_WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    /** Aeron Archive's refusal (1.51: Catalog, on start) to open a recording a killed process may have left torn. */
    private static final String PAGE_STRADDLE = "incomplete last fragment straddling page boundary";
    private static final String STRADDLE_FILE = "in file: ";
    private static final int MAX_UNCONFIRMED = 65_536;
    private static final long RESEND_AFTER_NS = TimeUnit.SECONDS.toNanos(3);
    private static final long ACK_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final long FORWARD_RETRY_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long OUTBOX_BYTES_PER_MEMBER = 16L * 1024 * 1024;
    /** The durable outbox's directory inside the member's {@code directory}. */
    static final String OUTBOX_DIRECTORY = "outbox";
    /** Short cycles: a cycle file goes at the first checkpoint after it (see ForwardOutbox#maintain). */
    private static final String OUTBOX_ROLL_CYCLE = "FIVE_MINUTELY";
    private static final int DEDUP_IDS_PER_ORIGIN = 65_536;
    /** The replicated state at the latest snapshot, in the member's directory (see README "Cluster"). */
    public static final String STATE_FILE = "snapshot-state.txt";
    /** How often the {@code tern-cluster} thread refreshes {@link ClusterCounters}. */
    static final long SAMPLE_INTERVAL_MS = 100;

    private final TernSetup.Cluster settings;
    private final long incarnation;
    private final RingBuffer hookRing;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong ackTimeouts = new AtomicLong();
    private final ClusterHooks hooks;
    private final SharedGroups sharedGroups;
    private final ClusterCounters counters;
    private final ConcurrentLinkedQueue<TernClusteredService.IndexUpdate> indexUpdates =
        new ConcurrentLinkedQueue<>();

    private volatile boolean running;
    private volatile boolean joined;
    /** The consensus module has closed (it failed or stopped), as last sampled. */
    private volatile boolean consensusGone;
    /** Has a session with the leader, but its replica has not applied the log up to its announcement yet. */
    private volatile boolean catchingUp;
    private ClusteredMediaDriver driver;
    private ClusteredServiceContainer container;
    private TernClusteredService service;
    private ForwardOutbox outbox;
    private Thread agentThread;

    /**
     * @param settings the {@code cluster:} section of this member's config file.
     */
    public ClusterNode(final TernSetup.Cluster settings)
    {
        this.settings = settings;
        // sequences of this run start above those of any earlier run of this member (a restart with a clock that
        // went back more than the earlier run's command count would have them ignored)
        this.incarnation = System.currentTimeMillis() * 1000L;
        this.hookRing = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(HOOK_RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH)));
        this.sharedGroups = new SharedGroups(settings.memberId());
        this.hooks = new ClusterHooks(hookRing, dropped, sharedGroups);
        this.counters = new ClusterCounters(settings.memberId(), settings.members().size());
    }

    /**
     * List this member's counters with the broker's: {@code /metrics}, the dashboard and
     * {@code $SYS/broker/cluster/...} (see {@link ClusterCounters}). Call once, before or after {@link #start}.
     *
     * @param brokerCounters the counters of the broker beside this member.
     */
    public void exportCounters(final BrokerCounters brokerCounters)
    {
        counters.exportTo(brokerCounters);
    }

    /**
     * For {@code /healthz}: a member is healthy when it has joined (see {@link #joined()}) and no election is running
     * (as sampled every {@value #SAMPLE_INTERVAL_MS} ms).
     *
     * @return null when healthy, else why not, in a few words.
     */
    public String healthProblem()
    {
        if (counters.joined.get() == 1)
        {
            return null;
        }
        if (consensusGone)
        {
            return "cluster member " + settings.memberId() + " has no consensus module (it stopped or failed)";
        }
        if (counters.role.get() < 0)
        {
            return "cluster member " + settings.memberId() + " is starting";
        }
        return catchingUp ? "cluster member " + settings.memberId() + " is catching up with the cluster log"
            : "cluster member " + settings.memberId() + " has no leader (election running or no majority)";
    }

    /**
     * Tell the member the broker's {@code connectTimeoutMs}: a held CONNECT's claim is valid only if the log commits
     * it in time (see {@link ClusterHooks#connectTimeoutMs}). Call before the broker starts; 10 s by default.
     */
    public void connectTimeoutMs(final int timeoutMs)
    {
        hooks.connectTimeoutMs(timeoutMs);
    }

    /** @return the hooks to install in this member's broker before it starts. */
    public BrokerHooks hooks()
    {
        return hooks;
    }

    /** @return this member's role: LEADER, FOLLOWER or CANDIDATE. */
    public String role()
    {
        final TernClusteredService current = service;
        return current == null ? "STARTING" : current.role().name();
    }

    /**
     * @return whether this member has joined: it has a session with the cluster's leader, and its replica has applied
     *         the log up to the announcement it sent on that session (a restarted member catches up first).
     */
    public boolean joined()
    {
        return joined;
    }

    /** @return messages dropped: hooks' ring full, or a member not reachable for a forward. */
    public long dropped()
    {
        return dropped.get();
    }

    /** Ask the cluster to take a snapshot (as {@code ClusterTool snapshot}); @return whether the request was made. */
    boolean requestSnapshot()
    {
        return ClusterTool.snapshot(new File(settings.directory().toFile(), "cluster"), System.out);
    }

    /** @return snapshots this member has taken since it started. */
    long snapshots()
    {
        final ClusteredMediaDriver current = driver;
        final ConsensusModule.Context context = current == null ? null : current.consensusModule().context();
        // the module's counters live in memory its Aeron client unmaps when the module closes
        return context == null || context.aeron() == null || context.aeron().isClosed() ? 0
            : context.snapshotCounter().get();
    }

    /** Close the consensus module as if it had died, the rest of the member running on (tests). */
    void closeConsensusModule()
    {
        CloseHelper.close(driver.consensusModule());
    }

    /** @return the replicated state, described in a way that is equal on members with equal state. */
    String describeState()
    {
        final TernClusteredService current = service;
        return current == null ? "" : current.describeState();
    }

    /** @return publishes forwarded to other members. */
    public long forwarded()
    {
        return forwarded.get();
    }

    /** @return publishes received from other members. */
    public long received()
    {
        return received.get();
    }

    /**
     * Start the member: media driver, archive, consensus module, clustered service, and the agent that joins the
     * cluster as soon as it has a leader. Returns without waiting for the leader.
     *
     * @param broker the broker beside it, already running.
     */
    public synchronized void start(final LocalBroker broker)
    {
        final File base = settings.directory().toFile();
        final String aeronDir = new File(base, "aeron").getAbsolutePath();
        final TernSetup.Member self = settings.self();
        final Supplier<IdleStrategy> idle = idleStrategy(settings.idleStrategy());
        final ErrorHandler errors = ex -> LOG.warn("cluster member {}: {}", settings.memberId(), ex.toString(), ex);
        outbox = broker.durable() ? openOutbox(base)
            : new ForwardOutbox(settings.members().size(), OUTBOX_BYTES_PER_MEMBER, FORWARD_RETRY_NS);

        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(idle.get())
            .termBufferSparseFile(true)
            .publicationTermBufferLength(64 * 1024)
            .ipcTermBufferLength(64 * 1024)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .errorHandler(errors);
        final AeronArchive.Context replication = new AeronArchive.Context()
            .controlResponseChannel("aeron:udp?endpoint=" + self.host() + ":0");
        final Archive.Context archiveContext = new Archive.Context()
            .aeronDirectoryName(aeronDir)
            .archiveDir(new File(base, "archive"))
            .archiveId(settings.memberId())
            .controlChannel("aeron:udp?endpoint=" + endpoint(self, ARCHIVE))
            .archiveClientContext(replication)
            .localControlChannel("aeron:ipc?term-length=64k")
            .replicationChannel("aeron:udp?endpoint=" + self.host() + ":0")
            .recordingEventsEnabled(false)
            .segmentFileLength(8 * 1024 * 1024)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(idle)
            .errorHandler(errors);
        final AeronArchive.Context localArchive = new AeronArchive.Context()
            .controlRequestChannel(archiveContext.localControlChannel())
            .controlResponseChannel(archiveContext.localControlChannel())
            .aeronDirectoryName(aeronDir);
        final long heartbeatTimeoutNs = TimeUnit.MILLISECONDS.toNanos(settings.leaderHeartbeatTimeoutMs());
        final ConsensusModule.Context consensus = new ConsensusModule.Context()
            .clusterMemberId(settings.memberId())
            .clusterMembers(clusterMembers(settings.members()))
            .clusterDir(new File(base, "cluster"))
            .ingressChannel("aeron:udp?" + TERM)
            .logChannel("aeron:udp?" + TERM + "|control-mode=manual|control=" + endpoint(self, LOG_CONTROL))
            .replicationChannel("aeron:udp?endpoint=" + self.host() + ":0")
            .archiveContext(localArchive.clone())
            .leaderHeartbeatTimeoutNs(heartbeatTimeoutNs)
            .leaderHeartbeatIntervalNs(Math.max(TimeUnit.MILLISECONDS.toNanos(20), heartbeatTimeoutNs / 10))
            .electionTimeoutNs(Math.max(TimeUnit.MILLISECONDS.toNanos(100), heartbeatTimeoutNs / 2))
            .startupCanvassTimeoutNs(Math.max(TimeUnit.SECONDS.toNanos(10), 3 * heartbeatTimeoutNs))
            .idleStrategySupplier(idle)
            .errorHandler(errors);
        driver = launchRepairingArchive(archiveContext.archiveDir(), () -> launchAfterStaleMarkFiles(
            () -> ClusteredMediaDriver.launch(driverContext.clone(), archiveContext.clone(), consensus.clone())));

        final SessionMoves moves = new SessionMoves(broker, settings.memberId());
        service = new TernClusteredService(settings.memberId(), incarnation, TernSetup.Cluster.MAX_MEMBERS, broker,
            indexUpdates, moves, sharedGroups);
        service.stateFile(new File(base, STATE_FILE).toPath());
        final TernClusteredService clustered = service;
        container = launchAfterStaleMarkFiles(() -> ClusteredServiceContainer.launch(
            new ClusteredServiceContainer.Context()
            .aeronDirectoryName(aeronDir)
            .archiveContext(localArchive.clone())
            .clusterDir(new File(base, "cluster"))
            .clusteredService(clustered)
            .idleStrategySupplier(idle)
            .errorHandler(errors)));

        running = true;
        final Agent agent = new Agent(aeronDir, broker, idle.get(), moves, outbox);
        agentThread = new Thread(agent::run, "tern-cluster");
        agentThread.setDaemon(true);
        agentThread.start();
        LOG.info("cluster member {} of {} started in {}", settings.memberId(), settings.members().size(), base);
    }

    @Override
    public synchronized void close()
    {
        running = false;
        if (agentThread != null)
        {
            try
            {
                agentThread.join(TimeUnit.SECONDS.toMillis(10));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        CloseHelper.closeAll(container, driver, outbox);
        container = null;
        driver = null;
        outbox = null;
    }

    /**
     * Open the durable outbox in {@code base}/{@value #OUTBOX_DIRECTORY} and load what an earlier run of this member
     * kept: forwards its members had not acknowledged, sent again once they are reachable.
     */
    private ForwardOutbox openOutbox(final File base)
    {
        final long startNs = System.nanoTime();
        final ChronicleStorage store = new ChronicleStorage(new JournalSettings(
            new File(base, OUTBOX_DIRECTORY).toPath(), OUTBOX_ROLL_CYCLE, JournalSettings.Fsync.NONE,
            JournalSettings.DEFAULT_CHECKPOINT_PART));
        final ForwardOutbox opened = new ForwardOutbox(settings.members().size(), OUTBOX_BYTES_PER_MEMBER,
            FORWARD_RETRY_NS, store);
        try
        {
            final int loaded = opened.load(startNs);
            LOG.info("cluster member {}: outbox loaded in {} ms: {} forwards not yet acknowledged, highest forward id "
                + "{}", settings.memberId(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), loaded,
                opened.highestForwardId());
            return opened;
        }
        catch (final RuntimeException ex)
        {
            opened.close();
            throw ex;
        }
    }

    /**
     * Launch, waiting while a mark file left by an earlier process of this member that was killed still looks active
     * (Aeron treats it as live until its heartbeat is older than the driver timeout, 10 s).
     */
    private static <T> T launchAfterStaleMarkFiles(final Supplier<T> launch)
    {
        final long deadlineNs = System.nanoTime() + MARK_FILE_WAIT_NS;
        while (true)
        {
            try
            {
                return launch.get();
            }
            catch (final IllegalStateException ex)
            {
                if (ex.getMessage() == null || !ex.getMessage().contains("active mark file detected")
                    || System.nanoTime() - deadlineNs > 0)
                {
                    throw ex;
                }
                LOG.info("waiting for the mark file of an earlier run to go stale: {}", ex.getMessage());
                sleepQuietly(500);
            }
        }
    }

    /**
     * Launch the clustered media driver. A member killed (SIGKILL) while its archive wrote the last fragment of a
     * recording across a page boundary leaves that recording without stop position, and Aeron's archive refuses to
     * open it until {@code ArchiveTool verify} truncates the possibly incomplete fragment. The member does that itself
     * and launches once more: the log is replicated, so consensus catches the member up on what the cut removed.
     * Any other failure propagates.
     */
    private static ClusteredMediaDriver launchRepairingArchive(final File archiveDir,
        final Supplier<ClusteredMediaDriver> launch)
    {
        try
        {
            return launch.get();
        }
        catch (final RuntimeException ex)
        {
            final String file = pageStraddleFile(ex);
            if (file == null)
            {
                throw ex;
            }
            LOG.warn("archive file {} ends in a fragment a crashed run may not have finished writing: truncating that "
                + "incomplete last fragment, the member catches up from the cluster", file);
            final ByteArrayOutputStream report = new ByteArrayOutputStream();
            final boolean clean;
            try (PrintStream out = new PrintStream(report, true, StandardCharsets.UTF_8))
            {
                clean = ArchiveTool.verify(out, archiveDir, EnumSet.noneOf(ArchiveTool.VerifyOption.class), null,
                    straddling -> true);
            }
            for (final String line : report.toString(StandardCharsets.UTF_8).split("\\R"))
            {
                if (!line.isBlank())
                {
                    LOG.info("archive verify: {}", line);
                }
            }
            if (!clean)
            {
                LOG.warn("archive verify in {} reported errors (lines above); launching anyway", archiveDir);
            }
            return launch.get();
        }
    }

    /**
     * @return the segment file named by the archive's refusal to open a recording whose last fragment straddles a
     * page boundary (in {@code failure} or its causes), or null for any other failure.
     */
    private static String pageStraddleFile(final Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause())
        {
            final String message = cause.getMessage();
            if (cause instanceof ArchiveException && message != null && message.contains(PAGE_STRADDLE))
            {
                final int at = message.indexOf(STRADDLE_FILE);
                if (at < 0)
                {
                    return message.strip();
                }
                final String rest = message.substring(at + STRADDLE_FILE.length());
                final int end = rest.indexOf('\n');
                return (end < 0 ? rest : rest.substring(0, end)).strip();
            }
        }
        return null;
    }

    static Supplier<IdleStrategy> idleStrategy(final TernSetup.ClusterIdle kind)
    {
        if (kind == TernSetup.ClusterIdle.SLEEPING)
        {
            return () -> new SleepingMillisIdleStrategy(1);
        }
        return () -> new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }

    static String endpoint(final TernSetup.Member member, final int offset)
    {
        return member.host() + ":" + (member.basePort() + offset);
    }

    /** Aeron Cluster's member list: id,ingress,consensus,log,catchup,archive separated by '|'. */
    static String clusterMembers(final List<TernSetup.Member> members)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < members.size(); i++)
        {
            final TernSetup.Member member = members.get(i);
            if (i > 0)
            {
                text.append('|');
            }
            text.append(i).append(',').append(endpoint(member, INGRESS)).append(',')
                .append(endpoint(member, CONSENSUS)).append(',').append(endpoint(member, LOG_PORT)).append(',')
                .append(endpoint(member, CATCHUP)).append(',').append(endpoint(member, ARCHIVE));
        }
        return text.toString();
    }

    static String ingressEndpoints(final List<TernSetup.Member> members)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < members.size(); i++)
        {
            if (i > 0)
            {
                text.append(',');
            }
            text.append(i).append('=').append(endpoint(members.get(i), INGRESS));
        }
        return text.toString();
    }

    /**
     * The {@code tern-cluster} thread: owns the cluster client session, the forwarding publications and subscription,
     * the filter index, and reads the hooks' ring.
     */
    private final class Agent implements ControlledMessageHandler, SessionMoves.Sender
    {
        private final String aeronDir;
        private final LocalBroker broker;
        private final IdleStrategy idle;
        private final FilterIndex index = new FilterIndex();
        private final TreeSet<String> localFilters = new TreeSet<>();
        /**
         * The filters of each session the broker restored from its journal at start, until this member has joined:
         * it drops those the cluster gave to another member while it was down, and does not announce their filters.
         */
        private final java.util.TreeMap<String, TreeSet<String>> restoredFilters = new java.util.TreeMap<>();
        /** The filters are announced once this run's NODE_UP is applied (restored sessions to check first). */
        private boolean announceWhenApplied;
        private final ControlledMessageHandler takeFilterHooks = this::takeFilterHook;
        private final ExpandableArrayBuffer command = new ExpandableArrayBuffer(1024);
        private final UnsafeBuffer forward = new UnsafeBuffer(new byte[64 * 1024 + 1024]);
        private final UnsafeBuffer ack = new UnsafeBuffer(new byte[16]);
        private final FragmentHandler onForward = new FragmentAssembler(this::onForward);
        private final int selfBit = 1 << settings.memberId();
        private Aeron aeron;
        private AeronCluster cluster;
        private Subscription forwardIn;
        private final ExclusivePublication[] forwardOut = new ExclusivePublication[settings.members().size()];
        private long sequence;
        private long lastKeepAliveNs;
        private long lastSweepNs;
        private long lastSampleNs;
        private long forwardSequence;
        /** The sequence of the NODE_UP sent on the current session with the leader. */
        private long nodeUpSequence = Long.MAX_VALUE;
        private long connectedNs;
        /** From the session's start to its first join, for the join's log line; -1 once logged. */
        private long catchUpMs = -1;
        private final Long2ObjectHashMap<PendingAck> pendingAcks = new Long2ObjectHashMap<>();
        private final ForwardOutbox outbox;
        private final ForwardDedup dedup = new ForwardDedup(settings.members().size(), DEDUP_IDS_PER_ORIGIN);
        /** Forwards the broker has taken in (or failed to store): origin, forward id, 1 if stored. */
        private final ConcurrentLinkedQueue<long[]> storedForwards = new ConcurrentLinkedQueue<>();
        /** The pending acknowledgements of the QoS 1 publish read last from the ring, or null if none are awaited. */
        private PendingAck lastPublish;
        private final SessionMoves moves;

        Agent(final String aeronDir, final LocalBroker broker, final IdleStrategy idle, final SessionMoves moves,
            final ForwardOutbox outbox)
        {
            this.aeronDir = aeronDir;
            this.broker = broker;
            this.idle = idle;
            this.moves = moves;
            this.outbox = outbox;
            this.sequence = incarnation;
            // receivers drop repeats by origin and id: ids of a new run are new, above those the loaded outbox still
            // sends again (also with a clock that went back)
            this.forwardSequence = Math.max(incarnation, outbox.highestForwardId());
        }

        void run()
        {
            try
            {
                aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir));
                forwardIn = aeron.addSubscription("aeron:udp?endpoint=" + endpoint(settings.self(), FORWARD),
                    ClusterProtocol.FORWARD_STREAM_ID);
                for (int m = 0; m < forwardOut.length; m++)
                {
                    if (m != settings.memberId())
                    {
                        forwardOut[m] = aeron.addExclusivePublication("aeron:udp?endpoint="
                            + endpoint(settings.members().get(m), FORWARD) + "|" + TERM,
                            ClusterProtocol.FORWARD_STREAM_ID);
                    }
                }
                while (running)
                {
                    if (cluster == null || cluster.isClosed())
                    {
                        joined = false;
                        catchingUp = false;
                        sample(System.nanoTime());
                        hookRing.controlledRead(takeFilterHooks);
                        connect();
                        continue;
                    }
                    int work = cluster.pollEgress();
                    if (resendOnNewLeader)
                    {
                        resendUnconfirmed();
                    }
                    work += applyIndexUpdates();
                    work += forwardIn.poll(onForward, 64);
                    work += acknowledgeStored();
                    work += hookRing.controlledRead(this, 64);
                    outbox.flush();
                    work += moves.poll(this);
                    final long now = System.nanoTime();
                    if (!joined)
                    {
                        joinOnceCaughtUp(now);
                    }
                    if (now - lastKeepAliveNs > KEEP_ALIVE_NS)
                    {
                        cluster.sendKeepAlive();
                        lastKeepAliveNs = now;
                    }
                    if (now - lastSampleNs > TimeUnit.MILLISECONDS.toNanos(SAMPLE_INTERVAL_MS))
                    {
                        sample(now);
                        lastSampleNs = now;
                    }
                    if (now - lastSweepNs > KEEP_ALIVE_NS)
                    {
                        sweepPendingAcks(now);
                        resendForwards(now);
                        outbox.maintain(now);
                        lastSweepNs = now;
                        resendIfStuck(now);
                        moves.sweep(now);
                    }
                    idle.idle(work);
                }
            }
            catch (final RuntimeException ex)
            {
                if (running)
                {
                    LOG.error("cluster agent of member {} failed", settings.memberId(), ex);
                }
            }
            finally
            {
                outbox.flush(); // the store's appender belongs to this thread
                CloseHelper.quietCloseAll(cluster, aeron);
            }
        }

        private void connect()
        {
            CloseHelper.quietClose(cluster);
            cluster = null;
            try
            {
                cluster = AeronCluster.connect(new AeronCluster.Context()
                    .aeronDirectoryName(aeronDir)
                    .aeron(aeron)
                    .ownsAeronClient(false)
                    .ingressChannel("aeron:udp?" + TERM)
                    .ingressEndpoints(ingressEndpoints(settings.members()))
                    .egressChannel("aeron:udp?endpoint=" + settings.self().host() + ":0")
                    .egressListener(new EgressListener()
                    {
                        @Override
                        public void onMessage(final long clusterSessionId, final long timestamp,
                            final DirectBuffer buffer, final int offset, final int length,
                            final io.aeron.logbuffer.Header header)
                        {
                            confirmed(buffer.getLong(offset));
                        }

                        @Override
                        public void onNewLeader(final long clusterSessionId, final long leadershipTermId,
                            final int leaderMemberId, final String ingressEndpoints)
                        {
                            // what the old leader may have dropped goes again; the service ignores repeats
                            resendOnNewLeader = true;
                        }
                    })
                    .messageTimeoutNs(TimeUnit.SECONDS.toNanos(5)));
            }
            catch (final RuntimeException ex)
            {
                LOG.info("cluster member {} waits for a leader: {}", settings.memberId(), ex.getMessage());
                applyIndexUpdates();
                sleepQuietly(200);
                return;
            }
            connectedNs = System.nanoTime();
            catchingUp = true;
            LOG.info("cluster member {} has a session with the leader (member {}); it joins once it has applied the "
                + "log up to its own announcement", settings.memberId(), cluster.leaderMemberId());
            resendUnconfirmed(); // in order and before NODE_UP: older sequences than what follows
            header(ClusterProtocol.NODE_UP);
            nodeUpSequence = sequence;
            command.putLong(ClusterProtocol.BODY_OFFSET, incarnation);
            offerBlocking(ClusterProtocol.BODY_OFFSET + 8);
            announceWhenApplied = !restoredFilters.isEmpty();
            if (!announceWhenApplied)
            {
                announceFilters();
            }
        }

        /**
         * Announce every filter this member has, then FILTERS_SYNCED: the filters it had before and did not announce
         * again go.
         */
        private void announceFilters()
        {
            for (final String filter : localFilters)
            {
                header(ClusterProtocol.SUBSCRIBE);
                offerBlocking(ClusterProtocol.putString(command, ClusterProtocol.BODY_OFFSET, filter));
            }
            header(ClusterProtocol.FILTERS_SYNCED);
            offerBlocking(ClusterProtocol.BODY_OFFSET);
        }

        /**
         * This run's NODE_UP is applied, so the replica knows who owns each session now: the restored sessions that
         * a client took to another member while this one was down are dropped here (as moved out, nothing kept), and
         * only the filters of the others are announced.
         */
        private void dropMovedAndAnnounce()
        {
            final java.util.Map<String, Integer> owners = service.ownersAtOwnNodeUp();
            final TreeSet<String> kept = new TreeSet<>();
            final TreeSet<String> dropped = new TreeSet<>();
            for (final java.util.Map.Entry<String, TreeSet<String>> entry : restoredFilters.entrySet())
            {
                final Integer owner = owners.get(entry.getKey());
                if (owner != null && owner != settings.memberId())
                {
                    LOG.info("cluster member {} drops restored session {}: {}", settings.memberId(), entry.getKey(),
                        owner == TernClusteredService.NO_MEMBER ? "it expired in the cluster while this member was "
                        + "down" : "member " + owner + " has it now");
                    broker.moveSessionOut(entry.getKey(), false, state -> { });
                    dropped.addAll(entry.getValue());
                }
                else
                {
                    kept.addAll(entry.getValue());
                }
            }
            dropped.removeAll(kept);
            localFilters.removeAll(dropped); // their end releases them in the hooks too (UNSUBSCRIBE, a no-op then)
            restoredFilters.clear();
            announceWhenApplied = false;
            announceFilters();
        }

        /**
         * Before joining: the subscribe and unsubscribe hooks at the head of the ring go into {@link #localFilters},
         * which joining announces before FILTERS_SYNCED. At start these are the subscriptions of the sessions the
         * broker restored from its journal, so the cluster keeps forwarding to them.
         */
        private Action takeFilterHook(final int type, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            if (type == ClusterProtocol.HOOK_RESTORED)
            {
                final int clientIdLength = buffer.getInt(offset);
                final String clientId = buffer.getStringWithoutLengthUtf8(offset + 4, clientIdLength);
                final String filter = buffer.getStringWithoutLengthUtf8(offset + 4 + clientIdLength,
                    length - 4 - clientIdLength);
                restoredFilters.computeIfAbsent(clientId, k -> new TreeSet<>()).add(filter);
                localFilters.add(filter);
                return Action.CONTINUE;
            }
            if (type != ClusterProtocol.HOOK_SUBSCRIBE && type != ClusterProtocol.HOOK_UNSUBSCRIBE)
            {
                return Action.ABORT; // the rest waits until this member has joined
            }
            final String filter = buffer.getStringWithoutLengthUtf8(offset, length);
            if (type == ClusterProtocol.HOOK_SUBSCRIBE)
            {
                localFilters.add(filter);
            }
            else
            {
                localFilters.remove(filter);
            }
            return Action.CONTINUE;
        }

        /**
         * This member has joined once its own replica has applied the NODE_UP it sent on its session with the leader
         * (everything committed before it is applied here: retained messages, claims, filters, so a claim of a
         * CONNECT held here now is acted on as soon as it is committed) and its election is over. Until then the
         * member catches up (a restart replays its snapshot and the log, and gets what it missed from the leader).
         */
        private void joinOnceCaughtUp(final long now)
        {
            if (announceWhenApplied && service.ownNodeUpSequence() >= nodeUpSequence)
            {
                dropMovedAndAnnounce();
            }
            if (!announceWhenApplied && service.ownNodeUpSequence() >= nodeUpSequence && electionClosed())
            {
                joined = true;
                catchingUp = false;
                catchUpMs = TimeUnit.NANOSECONDS.toMillis(now - connectedNs);
                sample(now); // healthz and the counters say so before the log line does
            }
        }

        private boolean electionClosed()
        {
            final ConsensusModule.Context context = consensusContext();
            return context != null
                && consensusCounter(context.electionStateCounter(), -1) == ElectionState.CLOSED.code();
        }

        /** @return the consensus module's context while the module runs, else null (it died or closed). */
        private ConsensusModule.Context consensusContext()
        {
            final ClusteredMediaDriver current = driver;
            final ConsensusModule.Context context = current == null ? null : current.consensusModule().context();
            final Aeron moduleClient = context == null ? null : context.aeron();
            return moduleClient == null || moduleClient.isClosed() ? null : context;
        }

        /**
         * Read a consensus module counter through this agent's own Aeron client, never through the module's: the
         * module's client unmaps its counters file when the module dies or closes, and a read then would crash the
         * JVM. Only an allocated record is read.
         *
         * @return the counter's value, or {@code absent} if it is not there (module or media driver gone).
         */
        private long consensusCounter(final org.agrona.concurrent.status.AtomicCounter counter, final long absent)
        {
            final Aeron own = aeron;
            if (counter == null || own == null || own.isClosed() || !running)
            {
                return absent;
            }
            try
            {
                final org.agrona.concurrent.status.CountersReader reader = own.countersReader();
                final int id = counter.id();
                if (id < 0 || id > reader.maxCounterId()
                    || reader.getCounterState(id) != org.agrona.concurrent.status.CountersReader.RECORD_ALLOCATED)
                {
                    return absent;
                }
                return reader.getCounterValue(id);
            }
            catch (final RuntimeException ex)
            {
                return absent; // AeronException, a closed client (IllegalStateException), an index gone
            }
        }

        /** Refresh {@link ClusterCounters}: the only thread that writes them. */
        private void sample(final long now)
        {
            if (!running)
            {
                return; // closing: the consensus module and media driver may be gone already
            }
            final ConsensusModule.Context context = consensusContext();
            consensusGone = context == null;
            final boolean member = context != null && joined && electionClosed() && cluster != null
                && !cluster.isClosed();
            if (member != (counters.joined.get() == 1))
            {
                if (member)
                {
                    LOG.info("cluster member {} joined the cluster (leader {}{})", settings.memberId(),
                        cluster.leaderMemberId(), catchUpMs < 0 ? "" : "; log applied up to its announcement "
                        + catchUpMs + " ms after its session with the leader opened");
                    catchUpMs = -1;
                }
                else
                {
                    LOG.info("cluster member {} is out of the cluster (no leader: election running or no majority); "
                        + "CONNECTs wait until it has joined again", settings.memberId());
                }
            }
            counters.role.set(context == null ? -1 : consensusCounter(context.clusterNodeRoleCounter(), -1));
            if (context != null)
            {
                counters.term.set(consensusCounter(context.leadershipTermIdCounter(), counters.term.get()));
                counters.commitPosition.set(
                    consensusCounter(context.commitPositionCounter(), counters.commitPosition.get()));
            }
            counters.joined.set(member ? 1 : 0);
            counters.leader.set(member ? cluster.leaderMemberId() : -1);
            counters.commands.set(service.commandsApplied());
            counters.forwardsOut.set(forwarded.get());
            counters.forwardsIn.set(received.get());
            counters.forwardsDropped.set(dropped.get());
            counters.ackTimeouts.set(ackTimeouts.get());
            counters.outboxDropped.set(outbox.dropped());
            counters.outboxWriteFailures.set(outbox.writeFailures());
            // the lag: QoS 1/2 forwards each member has not acknowledged, kept in the outbox until it does
            long total = 0;
            long oldestNs = now;
            for (int m = 0; m < forwardOut.length; m++)
            {
                final int unacked = outbox.size(m);
                total += unacked;
                final long addedNs = outbox.oldestAddedNs(m, now);
                if (addedNs - oldestNs < 0)
                {
                    oldestNs = addedNs;
                }
                if (counters.memberUnacked[m] != null)
                {
                    counters.memberUnacked[m].set(unacked);
                }
            }
            counters.unacked.set(total);
            counters.oldestUnackedMs.set(TimeUnit.NANOSECONDS.toMillis(now - oldestNs));
        }

        private int header(final byte type)
        {
            return ClusterProtocol.header(command, type, settings.memberId(), ++sequence);
        }

        private void offerBlocking(final int length)
        {
            idle.reset();
            while (running && cluster != null && !cluster.isClosed())
            {
                final long result = cluster.offer(command, 0, length);
                if (result > 0)
                {
                    keep(length);
                    return;
                }
                cluster.pollEgress();
                idle.idle();
            }
        }

        private boolean offer(final int length)
        {
            if (cluster.offer(command, 0, length) > 0)
            {
                keep(length);
                return true;
            }
            return false;
        }

        private void keep(final int length)
        {
            final byte[] bytes = new byte[length];
            command.getBytes(0, bytes);
            if (unconfirmed.size() >= MAX_UNCONFIRMED)
            {
                unconfirmed.pollFirst(); // no leader has confirmed anything for long: bound the memory
                dropped.incrementAndGet();
            }
            unconfirmed.addLast(bytes);
        }

        /** Commands offered but not yet confirmed by the leader, oldest first, each with its sequence. */
        private final ArrayDeque<byte[]> unconfirmed = new ArrayDeque<>();
        private boolean resendOnNewLeader;
        private long oldestUnconfirmedSequence;
        private long oldestUnconfirmedSinceNs;

        /**
         * Commands the leader has not confirmed for a while (lost by a leader that went away without this client
         * hearing of a new one) go again; the service drops those it already has.
         */
        private void resendIfStuck(final long now)
        {
            if (unconfirmed.isEmpty())
            {
                oldestUnconfirmedSinceNs = 0;
                return;
            }
            final long oldest = sequenceOf(unconfirmed.peekFirst());
            if (oldest != oldestUnconfirmedSequence)
            {
                oldestUnconfirmedSequence = oldest;
                oldestUnconfirmedSinceNs = now;
            }
            else if (now - oldestUnconfirmedSinceNs > RESEND_AFTER_NS)
            {
                LOG.info("cluster member {} sends {} unconfirmed commands again", settings.memberId(),
                    unconfirmed.size());
                resendUnconfirmed();
                oldestUnconfirmedSinceNs = now;
            }
        }

        private void confirmed(final long confirmedSequence)
        {
            while (!unconfirmed.isEmpty() && sequenceOf(unconfirmed.peekFirst()) <= confirmedSequence)
            {
                unconfirmed.pollFirst();
            }
        }

        private long sequenceOf(final byte[] bytes)
        {
            return new UnsafeBuffer(bytes).getLong(5);
        }

        private void resendUnconfirmed()
        {
            resendOnNewLeader = false;
            for (final byte[] bytes : unconfirmed)
            {
                idle.reset();
                while (running && cluster != null && !cluster.isClosed()
                    && cluster.offer(new UnsafeBuffer(bytes), 0, bytes.length) < 0)
                {
                    cluster.pollEgress();
                    idle.idle();
                }
            }
        }

        private int applyIndexUpdates()
        {
            int count = 0;
            TernClusteredService.IndexUpdate update;
            while ((update = indexUpdates.poll()) != null)
            {
                index.put(update.filter(), update.members());
                count++;
            }
            return count;
        }

        @Override
        public Action onMessage(final int type, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            switch (type)
            {
                case ClusterProtocol.HOOK_PUBLISH:
                    return onPublish(buffer, offset, length);
                case ClusterProtocol.HOOK_RESTORED:
                    return takeFilterHook(type, buffer, offset, length); // before the first join only
                case ClusterProtocol.HOOK_SUBSCRIBE:
                case ClusterProtocol.HOOK_UNSUBSCRIBE:
                {
                    final String filter = buffer.getStringWithoutLengthUtf8(offset, length);
                    final boolean subscribe = type == ClusterProtocol.HOOK_SUBSCRIBE;
                    header(subscribe ? ClusterProtocol.SUBSCRIBE : ClusterProtocol.UNSUBSCRIBE);
                    if (!offer(ClusterProtocol.putString(command, ClusterProtocol.BODY_OFFSET, filter)))
                    {
                        return Action.ABORT;
                    }
                    if (subscribe)
                    {
                        localFilters.add(filter);
                    }
                    else
                    {
                        localFilters.remove(filter);
                    }
                    return Action.CONTINUE;
                }
                case ClusterProtocol.HOOK_HOLD_ACK:
                {
                    final long connectionId = buffer.getLong(offset);
                    final int packetId = buffer.getInt(offset + 8);
                    final int reasonCode = buffer.getInt(offset + 12);
                    final PendingAck pending = lastPublish;
                    lastPublish = null;
                    if (pending == null)
                    {
                        broker.releasePublishAck(connectionId, packetId, reasonCode);
                    }
                    else
                    {
                        pending.connectionId = connectionId;
                        pending.packetId = packetId;
                        pending.held = true;
                        if (pending.remaining == 0)
                        {
                            release(pending);
                        }
                    }
                    return Action.CONTINUE;
                }
                case ClusterProtocol.HOOK_DETACHED:
                    header(ClusterProtocol.SESSION_DETACHED);
                    command.putBytes(ClusterProtocol.BODY_OFFSET, buffer, offset, length);
                    return offer(ClusterProtocol.BODY_OFFSET + length) ? Action.CONTINUE : Action.ABORT;
                case ClusterProtocol.HOOK_SESSION_END:
                {
                    header(ClusterProtocol.SESSION_END);
                    final String clientId = buffer.getStringWithoutLengthUtf8(offset, length);
                    return offer(ClusterProtocol.putString(command, ClusterProtocol.BODY_OFFSET, clientId)) ?
                        Action.CONTINUE : Action.ABORT;
                }
                case ClusterProtocol.HOOK_WILL:
                case ClusterProtocol.HOOK_WILL_CLEAR:
                case ClusterProtocol.HOOK_WILL_PENDING:
                {
                    // the ring message is the command's body as it is (see ClusterProtocol)
                    header(type == ClusterProtocol.HOOK_WILL ? ClusterProtocol.WILL :
                        type == ClusterProtocol.HOOK_WILL_CLEAR ? ClusterProtocol.WILL_CLEAR :
                        ClusterProtocol.WILL_PENDING);
                    if (type == ClusterProtocol.HOOK_WILL)
                    {
                        command.putBytes(ClusterProtocol.BODY_OFFSET, buffer, offset, length);
                        return offer(ClusterProtocol.BODY_OFFSET + length) ? Action.CONTINUE : Action.ABORT;
                    }
                    final String clientId = buffer.getStringWithoutLengthUtf8(offset, length);
                    return offer(ClusterProtocol.putString(command, ClusterProtocol.BODY_OFFSET, clientId)) ?
                        Action.CONTINUE : Action.ABORT;
                }
                case ClusterProtocol.HOOK_CONNECT_CLAIM:
                {
                    header(ClusterProtocol.CLAIM);
                    final String clientId = buffer.getStringWithoutLengthUtf8(offset + 17, length - 17);
                    final int at = ClusterProtocol.putString(command, ClusterProtocol.BODY_OFFSET, clientId);
                    command.putLong(at, buffer.getLong(offset));
                    command.putByte(at + 8, buffer.getByte(offset + 8));
                    command.putLong(at + 9, buffer.getLong(offset + 9));
                    return offer(at + 17) ? Action.CONTINUE : Action.ABORT;
                }
                default:
                    return Action.CONTINUE;
            }
        }

        private Action onPublish(final MutableDirectBuffer buffer, final int offset, final int length)
        {
            final int qos = buffer.getByte(offset);
            final boolean retain = buffer.getByte(offset + 1) != 0;
            final int topicLength = buffer.getInt(offset + 2);
            final int payloadOffset = offset + 6 + topicLength;
            final int payloadLength = length - 6 - topicLength;
            lastPublish = null;
            if (retain)
            {
                // every member stores it as the log orders the RETAIN commands; the subscribers on other members get
                // it as they get the publisher's other messages, point to point and in order (below)
                final int body = header(ClusterProtocol.RETAIN);
                command.putByte(body, (byte)qos);
                command.putInt(body + 1, topicLength);
                command.putBytes(body + 5, buffer, offset + 6, topicLength);
                final int payloadAt = body + 5 + topicLength;
                command.putInt(payloadAt, payloadLength);
                command.putBytes(payloadAt + 4, buffer, payloadOffset, payloadLength);
                if (!offer(payloadAt + 4 + payloadLength))
                {
                    return Action.ABORT; // read again: nothing was forwarded yet
                }
            }
            final String topic = buffer.getStringWithoutLengthUtf8(offset + 6, topicLength);
            final int members = index.match(topic) & ~selfBit;
            if (members == 0)
            {
                return Action.CONTINUE;
            }
            final long forwardId = qos > 0 ? ++forwardSequence : 0;
            forward.putByte(0, ClusterProtocol.FORWARD_PUBLISH);
            forward.putInt(1, settings.memberId());
            forward.putLong(5, forwardId);
            forward.putByte(13, (byte)(retain ? qos | ClusterProtocol.FORWARD_RETAINED : qos));
            forward.putInt(14, topicLength);
            forward.putBytes(18, buffer, offset + 6, topicLength);
            forward.putInt(18 + topicLength, payloadLength);
            forward.putBytes(22 + topicLength, buffer, payloadOffset, payloadLength);
            final int forwardLength = 22 + topicLength + payloadLength;
            final long now = System.nanoTime();
            int targets = 0;
            for (int m = 0; m < forwardOut.length; m++)
            {
                if ((members & (1 << m)) == 0 || forwardOut[m] == null)
                {
                    continue;
                }
                targets |= 1 << m;
                if (forwardId != 0 && outbox.awaitsComingUp(m) && forwardOut[m].isConnected())
                {
                    resendTo(m, now); // what it missed while away goes first: it gets all in the publisher's order
                }
            }
            if (forwardId != 0 && targets != 0)
            {
                // kept (and stored, before the PUBACK / PUBREC that HOOK_HOLD_ACK releases) until each member
                // acknowledges it: sent again after a timeout or when it is back; what the outbox holds for a member
                // is its forward lag (ClusterCounters)
                dropped.addAndGet(outbox.add(targets, forwardId, forward, forwardLength, now));
            }
            int waiting = 0;
            for (int m = 0; m < forwardOut.length; m++)
            {
                if ((targets & (1 << m)) == 0)
                {
                    continue;
                }
                if (forwardTo(forwardOut[m], forwardLength, forwardId == 0) && forwardId != 0)
                {
                    waiting |= 1 << m;
                }
            }
            if (waiting != 0)
            {
                // the PUBACK / PUBREC waits for each member that was sent the message (HOOK_HOLD_ACK follows)
                final PendingAck pending = new PendingAck(forwardId, waiting, now + ACK_TIMEOUT_NS);
                pendingAcks.put(forwardId, pending);
                lastPublish = pending;
            }
            return Action.CONTINUE;
        }

        private void onAck(final int member, final long forwardId)
        {
            outbox.acknowledged(member, forwardId);
            final PendingAck pending = pendingAcks.get(forwardId);
            if (pending != null && member >= 0 && member < forwardOut.length)
            {
                pending.remaining &= ~(1 << member);
                if (pending.remaining == 0 && pending.held)
                {
                    release(pending);
                }
            }
        }

        /** Acknowledge the forwards the broker has taken in; one it failed to store is left for the retry. */
        private int acknowledgeStored()
        {
            int count = 0;
            long[] stored;
            while ((stored = storedForwards.poll()) != null)
            {
                final int origin = (int)stored[0];
                dedup.stored(origin, stored[1], stored[2] != 0);
                if (stored[2] != 0)
                {
                    sendAck(origin, stored[1]);
                }
                count++;
            }
            return count;
        }

        private void sendAck(final int origin, final long forwardId)
        {
            if (origin < 0 || origin >= forwardOut.length || forwardOut[origin] == null)
            {
                return;
            }
            ack.putByte(0, ClusterProtocol.FORWARD_ACK);
            ack.putInt(1, settings.memberId());
            ack.putLong(5, forwardId);
            for (int attempt = 0; attempt < FORWARD_ATTEMPTS && forwardOut[origin].offer(ack, 0, 13) < 0; attempt++)
            {
                idle.idle(0); // not sent: the origin sends the message again, and hears the ack then
            }
        }

        private void resendForwards(final long now)
        {
            for (int m = 0; m < forwardOut.length; m++)
            {
                if (forwardOut[m] != null)
                {
                    resendTo(m, now);
                }
            }
        }

        private void resendTo(final int m, final long now)
        {
            final ExclusivePublication out = forwardOut[m];
            final int sent = outbox.resend(m, out.isConnected(), now,
                bytes -> out.offer(new UnsafeBuffer(bytes), 0, bytes.length) > 0);
            if (sent > 0)
            {
                forwarded.addAndGet(sent);
                LOG.info("cluster member {} sent {} unacknowledged forwards to member {} again",
                    settings.memberId(), sent, m);
            }
        }

        private void release(final PendingAck pending)
        {
            pendingAcks.remove(pending.forwardId);
            broker.releasePublishAck(pending.connectionId, pending.packetId, 0);
        }

        private void sweepPendingAcks(final long now)
        {
            if (pendingAcks.isEmpty())
            {
                return;
            }
            final List<PendingAck> expired = new ArrayList<>();
            for (final PendingAck pending : pendingAcks.values())
            {
                for (int m = 0; m < forwardOut.length; m++)
                {
                    if ((pending.remaining & (1 << m)) != 0 && forwardOut[m] != null && !forwardOut[m].isConnected())
                    {
                        // the member is unreachable (dead or cut off): the outbox sends it again when it is back
                        pending.remaining &= ~(1 << m);
                    }
                }
                if (pending.remaining == 0 || now - pending.deadlineNs > 0)
                {
                    expired.add(pending);
                }
            }
            for (final PendingAck pending : expired)
            {
                // a member was sent the message but did not acknowledge it (it died, or is cut off): the publisher
                // is not kept waiting; the message stays in the outbox until that member acknowledges it
                ackTimeouts.incrementAndGet();
                if (pending.held)
                {
                    release(pending);
                }
                else
                {
                    pendingAcks.remove(pending.forwardId); // its PUBACK went at once (the hold was not recorded)
                }
            }
        }

        @Override
        public boolean reachable(final int member)
        {
            return member >= 0 && member < forwardOut.length && forwardOut[member] != null &&
                forwardOut[member].isConnected();
        }

        /** A moved session's chunk to a member, waiting out back pressure for a few seconds. */
        @Override
        public boolean send(final int member, final DirectBuffer buffer, final int length)
        {
            final ExclusivePublication publication =
                member >= 0 && member < forwardOut.length ? forwardOut[member] : null;
            if (publication == null)
            {
                return false;
            }
            final long deadlineNs = System.nanoTime() + SessionMoves.STATE_WAIT_NS;
            idle.reset();
            while (running)
            {
                final long result = publication.offer(buffer, 0, length);
                if (result > 0)
                {
                    return true;
                }
                if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED ||
                    System.nanoTime() - deadlineNs > 0)
                {
                    return false;
                }
                idle.idle();
            }
            return false;
        }

        /** @return whether the member got it; one not sent is counted as dropped when {@code countDrop}. */
        private boolean forwardTo(final ExclusivePublication publication, final int length, final boolean countDrop)
        {
            for (int attempt = 0; attempt < FORWARD_ATTEMPTS; attempt++)
            {
                final long result = publication.offer(forward, 0, length);
                if (result > 0)
                {
                    forwarded.incrementAndGet();
                    return true;
                }
                if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED
                    || result == Publication.MAX_POSITION_EXCEEDED)
                {
                    break;
                }
                idle.idle(0);
            }
            if (countDrop)
            {
                dropped.incrementAndGet();
            }
            return false;
        }

        private void onForward(final DirectBuffer buffer, final int offset, final int length,
            final io.aeron.logbuffer.Header header)
        {
            final byte kind = buffer.getByte(offset);
            final int origin = buffer.getInt(offset + 1);
            final long forwardId = buffer.getLong(offset + 5);
            if (kind == ClusterProtocol.FORWARD_ACK)
            {
                onAck(origin, forwardId);
                return;
            }
            if (kind == ClusterProtocol.FORWARD_SESSION)
            {
                moves.onChunk(buffer, offset, length);
                return;
            }
            if (origin < 0 || origin >= forwardOut.length || origin == settings.memberId())
            {
                return;
            }
            final int flags = buffer.getByte(offset + 13);
            final int qos = flags & ClusterProtocol.FORWARD_QOS_MASK;
            final boolean retained = (flags & ClusterProtocol.FORWARD_RETAINED) != 0;
            final int topicLength = buffer.getInt(offset + 14);
            final String topic = buffer.getStringWithoutLengthUtf8(offset + 18, topicLength);
            final byte[] payload = ClusterProtocol.getBytes(buffer, offset + 18 + topicLength);
            if (forwardId != 0)
            {
                final int seen = dedup.receive(origin, forwardId);
                if (seen == ForwardDedup.STORED)
                {
                    sendAck(origin, forwardId); // a repeat: its first acknowledgement was lost or late
                    return;
                }
                if (seen == ForwardDedup.IN_FLIGHT)
                {
                    return; // acknowledged once the broker has stored the first copy
                }
            }
            received.incrementAndGet();
            try
            {
                if (retained)
                {
                    // delivered here, stored by the log's RETAIN command: exactly once per subscriber either way
                    broker.deliverRetained(topic, payload, qos, forwardId == 0 ? null :
                        stored -> storedForwards.add(new long[] {origin, forwardId, stored ? 1 : 0}));
                }
                else if (forwardId == 0)
                {
                    broker.publish(topic, payload, qos, false);
                }
                else
                {
                    // acknowledged when this broker has taken it in: routed, and journaled with persistence on
                    broker.publish(topic, payload, qos, false,
                        stored -> storedForwards.add(new long[] {origin, forwardId, stored ? 1 : 0}));
                }
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("forwarded message on {} not published: {}", topic, ex.getMessage());
                if (forwardId != 0)
                {
                    dedup.stored(origin, forwardId, false);
                }
            }
        }
    }

    /** A forwarded QoS 1/2 message whose publisher's PUBACK / PUBREC waits for the members it went to. */
    private static final class PendingAck
    {
        final long forwardId;
        final long deadlineNs;
        /** Bit per member still to acknowledge. */
        int remaining;
        boolean held;
        long connectionId;
        int packetId;

        PendingAck(final long forwardId, final int remaining, final long deadlineNs)
        {
            this.forwardId = forwardId;
            this.remaining = remaining;
            this.deadlineNs = deadlineNs;
        }
    }

    private static void sleepQuietly(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
