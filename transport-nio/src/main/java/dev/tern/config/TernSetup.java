package dev.tern.config;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.transport.http.Credentials;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything a config file describes, validated: what the launcher needs to build and start a broker, its listeners,
 * authentication sources, persistence and the dashboard. Produced by {@link TernConfigFile#load(Path)}.
 *
 * @param broker      broker settings, already {@link BrokerConfig#conclude() concluded}.
 * @param listeners   the listeners to open, at least one, names unique.
 * @param auth        password and ACL files.
 * @param persistence durable state settings.
 * @param dashboard   HTTP dashboard and metrics endpoint.
 * @param bridges     bridges to remote brokers, possibly none.
 * @param cluster     cluster membership, or {@code null} for a single broker.
 */
public record TernSetup(
    BrokerConfig broker, List<ListenerConfig> listeners, Auth auth, Persistence persistence, Dashboard dashboard,
    List<dev.tern.bridge.BridgeConfig> bridges, Cluster cluster)
{
    /** A single broker without bridges. */
    public TernSetup(
        final BrokerConfig broker, final List<ListenerConfig> listeners, final Auth auth,
        final Persistence persistence, final Dashboard dashboard)
    {
        this(broker, listeners, auth, persistence, dashboard, List.of(), null);
    }

    public TernSetup
    {
        bridges = List.copyOf(bridges);
        Objects.requireNonNull(broker, "broker");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(dashboard, "dashboard");
        listeners = List.copyOf(listeners);
        if (listeners.isEmpty())
        {
            throw new IllegalArgumentException("at least one listener is required");
        }
    }

    /**
     * A setup with the given broker settings and listeners, no auth files, no persistence and no dashboard: what the
     * launcher runs without a config file.
     *
     * @param broker    broker settings, concluded here if not yet.
     * @param listeners the listeners to open.
     * @return the setup.
     */
    public static TernSetup of(final BrokerConfig broker, final List<ListenerConfig> listeners)
    {
        return new TernSetup(broker.isConcluded() ? broker : broker.conclude(), listeners, Auth.NONE,
            Persistence.DISABLED, Dashboard.DISABLED);
    }

    /**
     * Client authentication and authorisation sources. The file formats belong to their readers; this only carries
     * the paths, checked to be readable files at load.
     *
     * @param passwordFile password file (absolute), or {@code null} when none is configured.
     * @param aclFile      ACL file (absolute), or {@code null} when none is configured.
     */
    public record Auth(Path passwordFile, Path aclFile)
    {
        /** No password file and no ACL file. */
        public static final Auth NONE = new Auth(null, null);
    }

    /**
     * The HTTP dashboard and metrics endpoint.
     *
     * @param enabled       whether to start it (default false).
     * @param host          address to bind (default {@code 127.0.0.1}).
     * @param port          TCP port (default 8080, 0 for an ephemeral one).
     * @param adminRequired whether {@code host} is reachable from other hosts, so admin credentials are mandatory.
     * @param admin         admin credentials for HTTP Basic auth, or {@code null}; never null when enabled and
     *                      {@code adminRequired}.
     */
    public record Dashboard(boolean enabled, String host, int port, boolean adminRequired, Credentials admin)
    {
        /** Not started. */
        public static final Dashboard DISABLED = new Dashboard(false, TernConfigFile.DEFAULT_HOST,
            TernConfigFile.DEFAULT_DASHBOARD_PORT, false, null);

        public Dashboard
        {
            Objects.requireNonNull(host, "host");
        }
    }

    /**
     * Durable state: where the journal lives and how it is written.
     *
     * @param enabled   whether QoS 1/2 and retained state are journaled (default false).
     * @param directory journal directory (absolute), or {@code null} when disabled.
     * @param rollCycle how often the journal starts a new file (default hourly).
     * @param fsync     when the journal forces writes to the device (default batch).
     * @param storage   the storage backend's name, a {@link dev.tern.storage.StorageProvider} on the class path
     *                  (default {@value dev.tern.storage.StorageProvider#DEFAULT}).
     */
    public record Persistence(boolean enabled, Path directory, RollCycle rollCycle, Fsync fsync, String storage)
    {
        /** Nothing is journaled. */
        public static final Persistence DISABLED = new Persistence(false, null, RollCycle.HOURLY, Fsync.BATCH);

        /** Persistence with the default storage backend. */
        public Persistence(final boolean enabled, final Path directory, final RollCycle rollCycle, final Fsync fsync)
        {
            this(enabled, directory, rollCycle, fsync, dev.tern.storage.StorageProvider.DEFAULT);
        }

        public Persistence
        {
            Objects.requireNonNull(rollCycle, "rollCycle");
            Objects.requireNonNull(fsync, "fsync");
            Objects.requireNonNull(storage, "storage");
            if (enabled && directory == null)
            {
                throw new IllegalArgumentException("persistence needs a directory");
            }
        }
    }

    /** How often the journal starts a new file; older files can then be compacted or deleted whole. */
    public enum RollCycle
    {
        FIVE_MINUTELY("FIVE_MINUTELY"),
        TEN_MINUTELY("TEN_MINUTELY"),
        HALF_HOURLY("HALF_HOURLY"),
        HOURLY("FAST_HOURLY"),
        DAILY("FAST_DAILY");

        private final String chronicleName;

        RollCycle(final String chronicleName)
        {
            this.chronicleName = chronicleName;
        }

        /** @return the name as written in the config file. */
        public String label()
        {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** @return the Chronicle Queue roll cycle this maps to. */
        public String chronicleName()
        {
            return chronicleName;
        }
    }

    /** When journal writes are forced to the storage device. */
    public enum Fsync
    {
        /** Never explicitly: the OS writes back when it chooses; a power loss may lose acknowledged messages. */
        NONE,
        /** Once per batch of records appended together, before the batch is acknowledged. */
        BATCH;

        /** @return the lower-case name used in the config file. */
        public String label()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Cluster membership (the {@code cluster:} section). Every member of a cluster lists the same members in the same
     * order; a member's id is its index in that list. Each member uses eight consecutive ports from its base port:
     * Aeron Cluster ingress, consensus, log, catch-up, archive control, log control, the point-to-point forwarding of
     * publishes between members, and one kept free for later use.
     *
     * @param memberId                 this member's index in {@code members}.
     * @param members                  every member of the cluster, at least one.
     * @param directory                where this member keeps its Aeron, archive and cluster files (absolute).
     * @param leaderHeartbeatTimeoutMs how long followers wait for the leader before electing another one.
     * @param idleStrategy             how the cluster threads wait for work: never a busy spin.
     */
    public record Cluster(int memberId, List<Member> members, Path directory, int leaderHeartbeatTimeoutMs,
        ClusterIdle idleStrategy)
    {
        /** Ports a member uses from its base port. */
        public static final int PORTS_PER_MEMBER = 8;
        /** Most members a cluster may have. */
        public static final int MAX_MEMBERS = 7;

        public Cluster
        {
            members = List.copyOf(members);
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(idleStrategy, "idleStrategy");
            if (memberId < 0 || memberId >= members.size())
            {
                throw new IllegalArgumentException("memberId " + memberId + " is not an index of members");
            }
        }

        /** @return this member. */
        public Member self()
        {
            return members.get(memberId);
        }
    }

    /**
     * One cluster member's address.
     *
     * @param host     host name or address the other members reach it on.
     * @param basePort first of its {@link Cluster#PORTS_PER_MEMBER} consecutive ports.
     */
    public record Member(String host, int basePort)
    {
        public Member
        {
            Objects.requireNonNull(host, "host");
        }
    }

    /** How the cluster's threads (media driver, archive, consensus, service, forwarding) wait when idle. */
    public enum ClusterIdle
    {
        /** Spin briefly, yield, then park up to 1 ms (default). */
        BACKOFF,
        /** Park 1 ms each time there is nothing to do: least CPU, most latency. */
        SLEEPING;

        /** @return the lower-case name used in the config file. */
        public String label()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
