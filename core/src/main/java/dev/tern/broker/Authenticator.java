package dev.tern.broker;

/**
 * Decides whether a CONNECT is accepted. Called on the routing thread: implementations must be fast and must not
 * block (cache, precompute, or hash with a bounded cost).
 */
@FunctionalInterface
public interface Authenticator
{
    /** CONNACK return code: accepted. */
    int ACCEPTED = 0;
    /** CONNACK return code 4: bad user name or password. */
    int BAD_USERNAME_OR_PASSWORD = 4;
    /** CONNACK return code 5: not authorised. */
    int NOT_AUTHORIZED = 5;

    /** Accepts everyone. */
    Authenticator ALLOW_ALL = (client, password) -> ACCEPTED;
    /** Rejects everyone: what a broker does when nothing is configured (default deny). */
    Authenticator DENY_ALL = (client, password) -> NOT_AUTHORIZED;

    /**
     * @param client   the client as identified by its CONNECT.
     * @param password the password bytes, or {@code null} when the CONNECT has none.
     * @return {@link #ACCEPTED}, {@link #BAD_USERNAME_OR_PASSWORD} or {@link #NOT_AUTHORIZED}.
     */
    int authenticate(ClientInfo client, byte[] password);

    /**
     * @return false for {@link #DENY_ALL}, which stands for "no authenticator configured"; an authenticator that wraps
     * another answers for the one it wraps.
     */
    default boolean configured()
    {
        return this != DENY_ALL;
    }

    /** @return true for {@link #ALLOW_ALL}; an authenticator that wraps another answers for the one it wraps. */
    default boolean acceptsAll()
    {
        return this == ALLOW_ALL;
    }

    /**
     * @param listenerName a listener of the broker.
     * @return who this authenticator admits on that listener, when it decides that listener itself (bridges), for the
     * start-up log; null to let {@link ListenerAccess} describe it.
     */
    default String describeListener(final String listenerName)
    {
        return null;
    }
}
