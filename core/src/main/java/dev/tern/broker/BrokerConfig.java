package dev.tern.broker;

import java.util.Locale;

/**
 * Broker settings with documented defaults. Mutate through the fluent setters, then {@link #conclude()} validates the
 * whole set once before the broker starts; a concluded config is read-only by convention.
 */
public final class BrokerConfig
{
    /** Default maximum packet size accepted from clients, bytes (1 MiB). */
    public static final int DEFAULT_MAX_PACKET_SIZE = 1024 * 1024;
    /** Largest value the MQTT remaining length can encode plus the fixed header. */
    public static final int PROTOCOL_MAX_PACKET_SIZE = 268_435_455 + 5;
    /** Default capacity of the off-heap ingress ring and of each egress ring, bytes (power of two). */
    public static final int DEFAULT_RING_CAPACITY = 16 * 1024 * 1024;
    /** Default number of preallocated pipeline events (power of two); each holds about 10 KiB of heap. */
    public static final int DEFAULT_PIPELINE_SIZE = 1024;
    /** Default outbound QoS 1/2 messages in flight per session (Mosquitto's max_inflight_messages is 20). */
    public static final int DEFAULT_MAX_INFLIGHT = 32;
    /** Default queued QoS 1/2 messages per session, beyond the inflight window (Mosquitto: 1000). */
    public static final int DEFAULT_MAX_QUEUED = 1000;
    /** Default budget for the QoS 1/2 messages held in all session queues together, bytes (256 MiB). */
    public static final long DEFAULT_MAX_QUEUED_BYTES = 256L * 1024 * 1024;
    /** Largest {@link #maxConnectRatePerAddress()} other than 0 (unlimited): one connection per microsecond. */
    public static final int MAX_CONNECT_RATE_PER_ADDRESS = 1_000_000;
    /** Default interval between $SYS publications, seconds; 0 disables $SYS. */
    public static final int DEFAULT_SYS_INTERVAL_SECONDS = 10;
    /** Default cap on subscriptions of all sessions together. */
    public static final int DEFAULT_MAX_SUBSCRIPTIONS = 1_000_000;
    /** Default largest CONNECT, the first packet of a connection, before anything is known of the client (64 KiB). */
    public static final int DEFAULT_MAX_CONNECT_PACKET_SIZE = 64 * 1024;
    /** Default budget for the read buffers of all connections holding an incomplete packet (64 MiB). */
    public static final long DEFAULT_MAX_PARTIAL_PACKET_BYTES = 64L * 1024 * 1024;
    /** Default time a packet may stay incomplete while the broker reads the connection (30 s). */
    public static final int DEFAULT_PARTIAL_PACKET_TIMEOUT_MS = 30_000;
    /** Default MQTT 5.0 Topic Alias Maximum a client may use towards the broker (Mosquitto's default is 10). */
    public static final int DEFAULT_TOPIC_ALIAS_MAXIMUM = 10;

    private int maxPacketSize = DEFAULT_MAX_PACKET_SIZE;
    private int ingressRingCapacity = DEFAULT_RING_CAPACITY;
    private int egressRingCapacity = DEFAULT_RING_CAPACITY;
    private int pipelineSize = DEFAULT_PIPELINE_SIZE;
    private int ioAgents = 1;
    private int maxInflight = DEFAULT_MAX_INFLIGHT;
    private int maxQueuedMessages = DEFAULT_MAX_QUEUED;
    private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private int sysIntervalSeconds = DEFAULT_SYS_INTERVAL_SECONDS;
    private int outboundHighWaterBytes = 256 * 1024;
    private int outboundLowWaterBytes = 64 * 1024;
    private int outboundMaxBytes = 8 * 1024 * 1024;
    private int connectTimeoutMs = 10_000;
    private boolean allowZeroLengthClientId = true;
    private boolean retainAvailable = true;
    private boolean logConnections = true;
    private IdleStrategyKind idleStrategy = IdleStrategyKind.BACKOFF;
    private WaitStrategyKind waitStrategy = WaitStrategyKind.BACKOFF;
    private ThreadLayout threadLayout = ThreadLayout.AUTO;
    private String brokerVersion = "0.1.0";
    private long checkpointEveryRecords = 1_000_000;
    private int maxConnections = 1_000_000;
    private int maxConnectionsPerAddress = 0;
    private int maxConnectRatePerAddress = 0;
    private int maxSubscriptionsPerClient = 10_000;
    private int maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS;
    private int maxConnectPacketSize = DEFAULT_MAX_CONNECT_PACKET_SIZE;
    private long maxPartialPacketBytes = DEFAULT_MAX_PARTIAL_PACKET_BYTES;
    private int partialPacketTimeoutMs = DEFAULT_PARTIAL_PACKET_TIMEOUT_MS;
    private int maxTopicLength = 65_535;
    private int maxTopicLevels = 128;
    private int topicAliasMaximum = DEFAULT_TOPIC_ALIAS_MAXIMUM;
    private int maximumQos = 2;
    private int maxKeepAliveSeconds = 0;
    private boolean wildcardSubscriptionAvailable = true;
    private boolean subscriptionIdentifiersAvailable = true;
    private boolean sharedSubscriptionsAvailable = true;
    private String responseInformation;
    private boolean concluded;
    /** Whether {@link #conclude()} resolved {@link ThreadLayout#AUTO}: a transport may still pick the inline layout. */
    private boolean threadLayoutByDefault;

    /** Idle strategy for the I/O agents and the pipeline bridge. */
    public enum IdleStrategyKind
    {
        /** Spin, yield, then park with exponential backoff up to 1 ms (default; friendly to shared hosts). */
        BACKOFF,
        /** Never give up the core: lowest latency on a dedicated, isolated host. */
        BUSY_SPIN,
        /** Thread.yield() when idle. */
        YIELDING,
        /** Park 100 µs when idle. */
        SLEEPING;

        public static IdleStrategyKind parse(final String value)
        {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** Wait strategy for the Disruptor stages. */
    public enum WaitStrategyKind
    {
        /**
         * Default: spin, yield, then block on a lock for new events (no CPU when idle), and park with growing sleeps
         * (up to 100 µs) while waiting for a slower stage ahead instead of spinning. See
         * the pipeline's {@code BackoffWaitStrategy}.
         */
        BACKOFF,
        /** Lock and condition; no CPU when idle, higher wake-up latency. */
        BLOCKING,
        /** Spin, yield, then park 50 µs at a time. */
        SLEEPING,
        /** Spin then yield. */
        YIELDING,
        /** Busy spin: for dedicated cores only. */
        BUSY_SPIN;

        public static WaitStrategyKind parse(final String value)
        {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** How the pipeline stages share threads. */
    public enum ThreadLayout
    {
        /**
         * Default: {@link #COMPACT} with 2 available processors or fewer, {@link #DEDICATED} otherwise; a standalone
         * or embedded {@code TernBroker} with one I/O agent and no journal on 2 processors or fewer runs {@link #INLINE}.
         */
        AUTO,
        /**
         * For small hosts: one pipeline thread runs decode, route and encode in turn for each event; with a journal a
         * second one runs journal then encode, per batch. Fewer hand-offs, so fewer chances to be descheduled.
         */
        COMPACT,
        /** A thread per stage (decode, route, journal, encode): stages overlap on hosts with cores to spare. */
        DEDICATED,
        /**
         * For small hosts (the default of a {@code TernBroker} there, see {@link #AUTO}): the one I/O agent's thread
         * runs the whole chain in its duty cycle (bridge, decode, route, journal, encode), so no other thread is on a
         * message's path. Needs exactly one I/O agent; a journal's sync then stalls the sockets too.
         */
        INLINE;

        /** @throws IllegalArgumentException naming the accepted values. */
        public static ThreadLayout parse(final String value)
        {
            try
            {
                return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(
                    "thread layout must be auto, compact, dedicated or inline, not '" + value + "'", ex);
            }
        }

        /**
         * @param processors available processors.
         * @return this, or for {@link #AUTO} the layout that suits that many processors.
         */
        public ThreadLayout resolve(final int processors)
        {
            return this != AUTO ? this : processors <= 2 ? COMPACT : DEDICATED;
        }
    }

    /**
     * Defaults, with the idle/wait strategies taken from system properties {@code tern.idle} and {@code tern.wait} when
     * set (e.g. {@code -Dtern.idle=busy-spin -Dtern.wait=busy-spin} on a dedicated host), and the thread layout from
     * {@code tern.threads} ({@code auto}, {@code compact}, {@code dedicated} or {@code inline}).
     *
     * @return a new config.
     */
    public static BrokerConfig defaults()
    {
        final BrokerConfig config = new BrokerConfig();
        final String idle = System.getProperty("tern.idle");
        if (idle != null && !idle.isBlank())
        {
            config.idleStrategy(IdleStrategyKind.parse(idle));
        }
        final String wait = System.getProperty("tern.wait");
        if (wait != null && !wait.isBlank())
        {
            config.waitStrategy(WaitStrategyKind.parse(wait));
        }
        final String threads = System.getProperty("tern.threads");
        if (threads != null && !threads.isBlank())
        {
            config.threadLayout(ThreadLayout.parse(threads));
        }
        return config;
    }

    /**
     * Validate every setting; throws {@link IllegalArgumentException} naming the first bad one.
     *
     * @return this.
     */
    public BrokerConfig conclude()
    {
        require(maxPacketSize >= 16 && maxPacketSize <= PROTOCOL_MAX_PACKET_SIZE, "maxPacketSize", maxPacketSize);
        require(isPowerOfTwo(ingressRingCapacity), "ingressRingCapacity (power of two)", ingressRingCapacity);
        require(isPowerOfTwo(egressRingCapacity), "egressRingCapacity (power of two)", egressRingCapacity);
        // Agrona rings accept messages up to capacity / 8.
        require(ingressRingCapacity / 8 >= maxPacketSize + 64,
            "ingressRingCapacity (must be >= 8 x (maxPacketSize + 64))", ingressRingCapacity);
        require(egressRingCapacity / 8 >= maxPacketSize + 64,
            "egressRingCapacity (must be >= 8 x (maxPacketSize + 64))", egressRingCapacity);
        require(isPowerOfTwo(pipelineSize), "pipelineSize (power of two)", pipelineSize);
        require(ioAgents >= 1 && ioAgents <= 64, "ioAgents", ioAgents);
        require(maxInflight >= 1 && maxInflight <= 65535, "maxInflight", maxInflight);
        require(maxQueuedMessages >= 0, "maxQueuedMessages", maxQueuedMessages);
        require(maxQueuedBytes >= 0, "maxQueuedBytes", maxQueuedBytes);
        require(sysIntervalSeconds >= 0, "sysIntervalSeconds", sysIntervalSeconds);
        require(outboundLowWaterBytes > 0 && outboundLowWaterBytes < outboundHighWaterBytes,
            "outboundLowWaterBytes", outboundLowWaterBytes);
        require(outboundHighWaterBytes < outboundMaxBytes, "outboundHighWaterBytes", outboundHighWaterBytes);
        require(connectTimeoutMs > 0, "connectTimeoutMs", connectTimeoutMs);
        require(checkpointEveryRecords > 0, "checkpointEveryRecords", checkpointEveryRecords);
        require(maxConnections > 0, "maxConnections", maxConnections);
        require(maxConnectionsPerAddress >= 0, "maxConnectionsPerAddress", maxConnectionsPerAddress);
        require(maxConnectRatePerAddress >= 0 && maxConnectRatePerAddress <= MAX_CONNECT_RATE_PER_ADDRESS,
            "maxConnectRatePerAddress", maxConnectRatePerAddress);
        require(maxSubscriptionsPerClient > 0, "maxSubscriptionsPerClient", maxSubscriptionsPerClient);
        require(maxSubscriptions > 0, "maxSubscriptions", maxSubscriptions);
        require(maxConnectPacketSize >= 16 && maxConnectPacketSize <= PROTOCOL_MAX_PACKET_SIZE, "maxConnectPacketSize",
            maxConnectPacketSize);
        require(maxPartialPacketBytes >= 0, "maxPartialPacketBytes", maxPartialPacketBytes);
        require(partialPacketTimeoutMs > 0, "partialPacketTimeoutMs", partialPacketTimeoutMs);
        require(maxTopicLength > 0 && maxTopicLength <= 65_535, "maxTopicLength", maxTopicLength);
        require(maxTopicLevels > 0, "maxTopicLevels", maxTopicLevels);
        require(topicAliasMaximum >= 0 && topicAliasMaximum <= 65535, "topicAliasMaximum", topicAliasMaximum);
        require(maximumQos >= 0 && maximumQos <= 2, "maximumQos", maximumQos);
        require(maxKeepAliveSeconds >= 0 && maxKeepAliveSeconds <= 65535, "maxKeepAliveSeconds", maxKeepAliveSeconds);
        require(responseInformation == null || !responseInformation.isEmpty(), "responseInformation", "''");
        require(threadLayout != null, "threadLayout", null);
        require(threadLayout != ThreadLayout.INLINE || ioAgents == 1,
            "ioAgents (the inline thread layout runs the pipeline on the only I/O agent: it must be 1)", ioAgents);
        threadLayoutByDefault = threadLayout == ThreadLayout.AUTO;
        threadLayout = threadLayout.resolve(Runtime.getRuntime().availableProcessors());
        concluded = true;
        return this;
    }

    public boolean isConcluded()
    {
        return concluded;
    }

    private static boolean isPowerOfTwo(final int value)
    {
        return value > 0 && (value & (value - 1)) == 0;
    }

    private static void require(final boolean condition, final String name, final Object value)
    {
        if (!condition)
        {
            throw new IllegalArgumentException("invalid broker setting " + name + ": " + value);
        }
    }

    public int maxPacketSize()
    {
        return maxPacketSize;
    }

    public BrokerConfig maxPacketSize(final int maxPacketSize)
    {
        this.maxPacketSize = maxPacketSize;
        return this;
    }

    public int ingressRingCapacity()
    {
        return ingressRingCapacity;
    }

    public BrokerConfig ingressRingCapacity(final int ingressRingCapacity)
    {
        this.ingressRingCapacity = ingressRingCapacity;
        return this;
    }

    public int egressRingCapacity()
    {
        return egressRingCapacity;
    }

    public BrokerConfig egressRingCapacity(final int egressRingCapacity)
    {
        this.egressRingCapacity = egressRingCapacity;
        return this;
    }

    public int pipelineSize()
    {
        return pipelineSize;
    }

    public BrokerConfig pipelineSize(final int pipelineSize)
    {
        this.pipelineSize = pipelineSize;
        return this;
    }

    public int ioAgents()
    {
        return ioAgents;
    }

    public BrokerConfig ioAgents(final int ioAgents)
    {
        this.ioAgents = ioAgents;
        return this;
    }

    public int maxInflight()
    {
        return maxInflight;
    }

    public BrokerConfig maxInflight(final int maxInflight)
    {
        this.maxInflight = maxInflight;
        return this;
    }

    public int maxQueuedMessages()
    {
        return maxQueuedMessages;
    }

    public BrokerConfig maxQueuedMessages(final int maxQueuedMessages)
    {
        this.maxQueuedMessages = maxQueuedMessages;
        return this;
    }

    /**
     * Global memory budget for queued messages: the bytes of QoS 1/2 messages held in session queues, summed over all
     * sessions (a message queued for many sessions counts once per queue). Each entry counts its topic, properties
     * and payload bytes plus a fixed bookkeeping estimate. Beyond the budget new QoS 0 messages for sessions that are
     * behind are dropped, and QoS 1/2 publishers whose messages are queued are not read from until the queues fall
     * below three quarters of the budget; their messages are still accepted, never acknowledged and then lost. A client
     * that has QoS 1/2 messages of its own awaiting acknowledgement stays readable, since its acknowledgements drain
     * the queues.
     *
     * @return the budget in bytes, 0 for unlimited (default {@link #DEFAULT_MAX_QUEUED_BYTES}).
     */
    public long maxQueuedBytes()
    {
        return maxQueuedBytes;
    }

    /**
     * @param maxQueuedBytes the budget for messages in session queues, bytes; 0 for unlimited.
     * @return this.
     * @see #maxQueuedBytes()
     */
    public BrokerConfig maxQueuedBytes(final long maxQueuedBytes)
    {
        this.maxQueuedBytes = maxQueuedBytes;
        return this;
    }

    public int sysIntervalSeconds()
    {
        return sysIntervalSeconds;
    }

    public BrokerConfig sysIntervalSeconds(final int sysIntervalSeconds)
    {
        this.sysIntervalSeconds = sysIntervalSeconds;
        return this;
    }

    public int outboundHighWaterBytes()
    {
        return outboundHighWaterBytes;
    }

    public BrokerConfig outboundHighWaterBytes(final int outboundHighWaterBytes)
    {
        this.outboundHighWaterBytes = outboundHighWaterBytes;
        return this;
    }

    public int outboundLowWaterBytes()
    {
        return outboundLowWaterBytes;
    }

    public BrokerConfig outboundLowWaterBytes(final int outboundLowWaterBytes)
    {
        this.outboundLowWaterBytes = outboundLowWaterBytes;
        return this;
    }

    public int outboundMaxBytes()
    {
        return outboundMaxBytes;
    }

    public BrokerConfig outboundMaxBytes(final int outboundMaxBytes)
    {
        this.outboundMaxBytes = outboundMaxBytes;
        return this;
    }

    public int connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    public BrokerConfig connectTimeoutMs(final int connectTimeoutMs)
    {
        this.connectTimeoutMs = connectTimeoutMs;
        return this;
    }

    public boolean allowZeroLengthClientId()
    {
        return allowZeroLengthClientId;
    }

    public BrokerConfig allowZeroLengthClientId(final boolean allowZeroLengthClientId)
    {
        this.allowZeroLengthClientId = allowZeroLengthClientId;
        return this;
    }

    public boolean retainAvailable()
    {
        return retainAvailable;
    }

    public BrokerConfig retainAvailable(final boolean retainAvailable)
    {
        this.retainAvailable = retainAvailable;
        return this;
    }

    /** @return whether each client connect and disconnect is logged at INFO (default true), as Mosquitto does. */
    public boolean logConnections()
    {
        return logConnections;
    }

    /**
     * @param logConnections false to leave out the INFO line per client connect and disconnect, e.g. on a broker
     *                       with many short-lived clients.
     * @return this.
     */
    public BrokerConfig logConnections(final boolean logConnections)
    {
        this.logConnections = logConnections;
        return this;
    }

    public IdleStrategyKind idleStrategy()
    {
        return idleStrategy;
    }

    public BrokerConfig idleStrategy(final IdleStrategyKind idleStrategy)
    {
        this.idleStrategy = idleStrategy;
        return this;
    }

    public WaitStrategyKind waitStrategy()
    {
        return waitStrategy;
    }

    public BrokerConfig waitStrategy(final WaitStrategyKind waitStrategy)
    {
        this.waitStrategy = waitStrategy;
        return this;
    }

    /** @return true if the thread layout was left to the default ({@link ThreadLayout#AUTO}), also once concluded. */
    public boolean threadLayoutByDefault()
    {
        return concluded ? threadLayoutByDefault : threadLayout == ThreadLayout.AUTO;
    }

    /** @return the thread layout of the pipeline; never {@link ThreadLayout#AUTO} once concluded. */
    public ThreadLayout threadLayout()
    {
        return threadLayout;
    }

    /**
     * @param threadLayout how the pipeline stages share threads (default {@link ThreadLayout#AUTO}, resolved by
     *                     {@link #conclude()} from the available processors).
     * @return this.
     */
    public BrokerConfig threadLayout(final ThreadLayout threadLayout)
    {
        this.threadLayout = threadLayout;
        return this;
    }

    /** Most concurrent connections (default 1,000,000); beyond it new sockets are closed at once and counted. */
    public int maxConnections()
    {
        return maxConnections;
    }

    public BrokerConfig maxConnections(final int maxConnections)
    {
        this.maxConnections = maxConnections;
        return this;
    }

    /** Most concurrent connections from one IP address (default 0 = unlimited). */
    public int maxConnectionsPerAddress()
    {
        return maxConnectionsPerAddress;
    }

    public BrokerConfig maxConnectionsPerAddress(final int maxConnectionsPerAddress)
    {
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
        return this;
    }

    /**
     * Most new connections accepted per second from one source IP address, 0 = unlimited (the default). Enforced as
     * a token bucket: a burst of up to this many connections, then this many per second; a connection over the rate
     * is closed as it is accepted, before anything is read from it, and counted in
     * {@link BrokerCounters#connectionsRateLimited}. It slows reconnect storms and connection floods from one host
     * without bounding how many connections it may hold (that is {@link #maxConnectionsPerAddress()}).
     * <p>
     * Unlimited by default because one address often stands for many clients: devices behind a carrier or company
     * NAT that all reconnect after a broker restart, or load generators on 127.0.0.1 that open thousands of
     * connections per second. Pick a value above the legitimate reconnect rate of the busiest address.
     *
     * @return connections per second per address, 0 for no limit.
     */
    public int maxConnectRatePerAddress()
    {
        return maxConnectRatePerAddress;
    }

    /**
     * @param maxConnectRatePerAddress new connections per second per source address, 0 (unlimited) up to
     *                                 {@link #MAX_CONNECT_RATE_PER_ADDRESS}.
     * @return this.
     * @see #maxConnectRatePerAddress()
     */
    public BrokerConfig maxConnectRatePerAddress(final int maxConnectRatePerAddress)
    {
        this.maxConnectRatePerAddress = maxConnectRatePerAddress;
        return this;
    }

    /** Most subscriptions one session may hold (default 10,000); more are refused with SUBACK 0x80. */
    public int maxSubscriptionsPerClient()
    {
        return maxSubscriptionsPerClient;
    }

    public BrokerConfig maxSubscriptionsPerClient(final int maxSubscriptionsPerClient)
    {
        this.maxSubscriptionsPerClient = maxSubscriptionsPerClient;
        return this;
    }

    /**
     * Most subscriptions of all sessions together (default 1,000,000; each costs roughly 0.5 KiB of heap). A filter
     * beyond it is refused: SUBACK 0x80 in MQTT 3.1.1, 0x97 Quota exceeded in 5.0.
     */
    public int maxSubscriptions()
    {
        return maxSubscriptions;
    }

    /** @see #maxSubscriptions() */
    public BrokerConfig maxSubscriptions(final int maxSubscriptions)
    {
        this.maxSubscriptions = maxSubscriptions;
        return this;
    }

    /**
     * Largest first packet (the CONNECT) a connection may send, bytes (default 64 KiB; {@link #maxPacketSize()} when
     * that is smaller). It is judged by its fixed header, before its bytes are buffered, so a client that has not
     * authenticated cannot make the broker hold a large packet.
     */
    public int maxConnectPacketSize()
    {
        return maxConnectPacketSize;
    }

    /** @see #maxConnectPacketSize() */
    public BrokerConfig maxConnectPacketSize(final int maxConnectPacketSize)
    {
        this.maxConnectPacketSize = maxConnectPacketSize;
        return this;
    }

    /**
     * Budget for the read buffers of all connections holding an incomplete packet, bytes (default 64 MiB; 0 for
     * unlimited). A connection whose packet would take more closes the connections that have held one longest first.
     */
    public long maxPartialPacketBytes()
    {
        return maxPartialPacketBytes;
    }

    /** @see #maxPartialPacketBytes() */
    public BrokerConfig maxPartialPacketBytes(final long maxPartialPacketBytes)
    {
        this.maxPartialPacketBytes = maxPartialPacketBytes;
        return this;
    }

    /**
     * Longest time a packet may stay incomplete while the broker reads the connection, ms (default 30,000); the
     * connection is closed then. Time while the broker itself does not read the connection does not count.
     */
    public int partialPacketTimeoutMs()
    {
        return partialPacketTimeoutMs;
    }

    /** @see #partialPacketTimeoutMs() */
    public BrokerConfig partialPacketTimeoutMs(final int partialPacketTimeoutMs)
    {
        this.partialPacketTimeoutMs = partialPacketTimeoutMs;
        return this;
    }

    /** Longest topic name or filter in bytes (default 65,535, the protocol limit). */
    public int maxTopicLength()
    {
        return maxTopicLength;
    }

    public BrokerConfig maxTopicLength(final int maxTopicLength)
    {
        this.maxTopicLength = maxTopicLength;
        return this;
    }

    /** Most levels in a topic filter (default 128); deeper filters are refused with SUBACK 0x80. */
    public int maxTopicLevels()
    {
        return maxTopicLevels;
    }

    public BrokerConfig maxTopicLevels(final int maxTopicLevels)
    {
        this.maxTopicLevels = maxTopicLevels;
        return this;
    }

    /** Journal records between checkpoints (default 1,000,000): bounds replay time and journal size. */
    public long checkpointEveryRecords()
    {
        return checkpointEveryRecords;
    }

    public BrokerConfig checkpointEveryRecords(final long checkpointEveryRecords)
    {
        this.checkpointEveryRecords = checkpointEveryRecords;
        return this;
    }

    public String brokerVersion()
    {
        return brokerVersion;
    }

    public BrokerConfig brokerVersion(final String brokerVersion)
    {
        this.brokerVersion = brokerVersion;
        return this;
    }

    /**
     * MQTT 5.0 Topic Alias Maximum (default {@value #DEFAULT_TOPIC_ALIAS_MAXIMUM}): how many topic aliases a client
     * may set up towards the broker on one connection, sent in the CONNACK; 0 refuses inbound aliases. Aliases the
     * broker uses towards a client are bounded by the client's own Topic Alias Maximum.
     */
    public int topicAliasMaximum()
    {
        return topicAliasMaximum;
    }

    public BrokerConfig topicAliasMaximum(final int topicAliasMaximum)
    {
        this.topicAliasMaximum = topicAliasMaximum;
        return this;
    }

    /**
     * Highest QoS accepted in a PUBLISH and granted in a SUBACK (default 2). Below 2 it is advertised in the MQTT 5.0
     * CONNACK (Maximum QoS); a 5.0 PUBLISH above it is a protocol violation (DISCONNECT 0x9B), a 3.1.1 one closes the
     * connection, and subscriptions are granted at most this QoS.
     */
    public int maximumQos()
    {
        return maximumQos;
    }

    public BrokerConfig maximumQos(final int maximumQos)
    {
        this.maximumQos = maximumQos;
        return this;
    }

    /**
     * Longest keep alive the broker accepts, seconds (default 0: whatever the client asks). When set, an MQTT 5.0
     * client asking for 0 (none) or more is told this value in the CONNACK's Server Keep Alive, and the broker uses it.
     */
    public int maxKeepAliveSeconds()
    {
        return maxKeepAliveSeconds;
    }

    public BrokerConfig maxKeepAliveSeconds(final int maxKeepAliveSeconds)
    {
        this.maxKeepAliveSeconds = maxKeepAliveSeconds;
        return this;
    }

    /** Whether filters with '+' or '#' are accepted (default true); otherwise SUBACK 0xA2 (5.0) or 0x80. */
    public boolean wildcardSubscriptionAvailable()
    {
        return wildcardSubscriptionAvailable;
    }

    public BrokerConfig wildcardSubscriptionAvailable(final boolean available)
    {
        this.wildcardSubscriptionAvailable = available;
        return this;
    }

    /** Whether MQTT 5.0 Subscription Identifiers are supported (default true); otherwise SUBACK 0xA1. */
    public boolean subscriptionIdentifiersAvailable()
    {
        return subscriptionIdentifiersAvailable;
    }

    public BrokerConfig subscriptionIdentifiersAvailable(final boolean available)
    {
        this.subscriptionIdentifiersAvailable = available;
        return this;
    }

    /** Whether shared subscriptions ({@code $share/group/filter}) are supported (default true); otherwise 0x9E. */
    public boolean sharedSubscriptionsAvailable()
    {
        return sharedSubscriptionsAvailable;
    }

    public BrokerConfig sharedSubscriptionsAvailable(final boolean available)
    {
        this.sharedSubscriptionsAvailable = available;
        return this;
    }

    /**
     * MQTT 5.0 Response Information sent in the CONNACK to a client that asks for it (Request Response Information
     * 1): a topic prefix clients may build response topics on (default none, so nothing is sent). The client id is
     * appended, so each client gets its own prefix, e.g. {@code "reply/"} gives {@code "reply/sensor-1"}.
     */
    public String responseInformation()
    {
        return responseInformation;
    }

    public BrokerConfig responseInformation(final String responseInformation)
    {
        this.responseInformation = responseInformation;
        return this;
    }
}
