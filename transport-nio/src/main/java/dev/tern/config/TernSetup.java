package dev.tern.config;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.transport.http.Credentials;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything a config file describes, validated: what the launcher needs to build and start a broker, its listeners,
 * authentication and the dashboard. Produced by {@link TernConfigFile#load(Path)}.
 *
 * @param broker      broker settings, already {@link BrokerConfig#conclude() concluded}.
 * @param listeners   the listeners to open, at least one, names unique.
 * @param auth        password and ACL files and the anonymous policy.
 * @param dashboard   HTTP dashboard and metrics endpoint.
 * @param persistence durable state; always disabled until the journal lands.
 */
public record TernSetup(
    BrokerConfig broker, List<ListenerConfig> listeners, Auth auth, Dashboard dashboard, Persistence persistence)
{
    public TernSetup
    {
        Objects.requireNonNull(broker, "broker");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(dashboard, "dashboard");
        Objects.requireNonNull(persistence, "persistence");
        listeners = List.copyOf(listeners);
    }

    /**
     * Client authentication and authorisation sources.
     *
     * @param passwordFile   password file (absolute), or {@code null} when none is configured.
     * @param aclFile        ACL file (absolute), or {@code null} when none is configured.
     * @param allowAnonymous clients without credentials are admitted on every listener (default false; a listener's
     *                       own {@code anonymous} flag admits them on that listener only).
     */
    public record Auth(Path passwordFile, Path aclFile, boolean allowAnonymous)
    {
    }

    /**
     * The HTTP dashboard and metrics endpoint.
     *
     * @param enabled       whether to start it (default false).
     * @param bind          address to bind (default {@code 127.0.0.1}).
     * @param port          TCP port (default 8080, 0 for an ephemeral one).
     * @param adminRequired whether {@code bind} is reachable from other hosts, so admin credentials are mandatory.
     * @param admin         admin credentials for HTTP Basic auth, or {@code null}; never null when enabled and
     *                      {@code adminRequired}.
     */
    public record Dashboard(boolean enabled, String bind, int port, boolean adminRequired, Credentials admin)
    {
        public Dashboard
        {
            Objects.requireNonNull(bind, "bind");
        }
    }

    /**
     * Placeholder for durable state: the journal is not available yet, so this is always disabled.
     *
     * @param directory journal directory, or {@code null}.
     * @param enabled   whether QoS 1/2 and retained state are journaled.
     */
    public record Persistence(Path directory, boolean enabled)
    {
        /** Nothing is journaled. */
        public static final Persistence DISABLED = new Persistence(null, false);
    }
}
