package dev.tern.bridge;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.ClientInfo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who the bridges are on the local broker, and what they may do there. Each bridge connects to its own broker through
 * a loopback listener reserved for bridges ({@link #LISTENER_NAME}), as client and user {@code $bridge/NAME} with a
 * password drawn at random at each start, so no other process can log in as a bridge. Its rights come from its
 * topic lines, not from the ACL file: it may subscribe to the local filters of its {@code out} and {@code both} lines
 * (and read what they match), and publish to topics its {@code in} and {@code both} lines map into; nothing else.
 * Every other client and listener is decided by the broker's own authenticator and authorizer, which this wraps;
 * client ids starting with {@code $bridge/} are refused to them.
 */
public final class BridgeAccess
{
    /** Name of the loopback listener the bridges' local sessions connect through. */
    public static final String LISTENER_NAME = "$bridges";

    private final Map<String, BridgeConfig> bridgeByClientId = new HashMap<>();
    private final Map<String, byte[]> secretByClientId = new HashMap<>();

    /** @param bridges the configured bridges; each gets a fresh random password. */
    public BridgeAccess(final List<BridgeConfig> bridges)
    {
        final SecureRandom random = new SecureRandom();
        for (final BridgeConfig bridge : bridges)
        {
            final byte[] raw = new byte[24];
            random.nextBytes(raw);
            bridgeByClientId.put(bridge.localClientId(), bridge);
            secretByClientId.put(bridge.localClientId(),
                Base64.getEncoder().encodeToString(raw).getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** @return the password of a bridge's local session, valid until the broker stops. */
    byte[] secret(final BridgeConfig bridge)
    {
        return secretByClientId.get(bridge.localClientId()).clone();
    }

    /** @return the broker's authenticator, letting the bridges in on their listener and no one else as a bridge. */
    public Authenticator wrap(final Authenticator inner)
    {
        return new Authenticator()
        {
            @Override
            public int authenticate(final ClientInfo client, final byte[] password)
            {
                if (LISTENER_NAME.equals(client.listener()))
                {
                    final byte[] secret = secretByClientId.get(client.clientId());
                    return secret != null && client.clientId().equals(client.username()) && password != null
                        && MessageDigest.isEqual(secret, password) ? ACCEPTED : NOT_AUTHORIZED;
                }
                if (client.clientId().startsWith(BridgeConfig.LOCAL_CLIENT_ID_PREFIX))
                {
                    return NOT_AUTHORIZED; // reserved for the bridges' own sessions
                }
                return inner.authenticate(client, password);
            }

            @Override
            public boolean configured()
            {
                return inner.configured();
            }

            @Override
            public boolean acceptsAll()
            {
                return inner.acceptsAll();
            }

            @Override
            public String describeListener(final String listenerName)
            {
                return LISTENER_NAME.equals(listenerName) ? "reserved for the local sessions of the bridges "
                    + bridgeByClientId.keySet() + " (random password per start; rights from their topic lines)" :
                    inner.describeListener(listenerName);
            }

            @Override
            public String toString()
            {
                return inner.toString();
            }
        };
    }

    /** @return the broker's authorizer, with the bridges' rights from their topic lines. */
    public Authorizer wrap(final Authorizer inner)
    {
        return new Authorizer()
        {
            @Override
            public boolean canPublish(final ClientInfo client, final String topic)
            {
                final BridgeConfig bridge = bridge(client);
                if (bridge == null)
                {
                    return inner.canPublish(client, topic);
                }
                for (final BridgeTopic line : bridge.topics())
                {
                    if (line.direction().in() && BridgeTopic.matches(line.localFilter(), topic))
                    {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public boolean canSubscribe(final ClientInfo client, final String topicFilter)
            {
                final BridgeConfig bridge = bridge(client);
                if (bridge == null)
                {
                    return inner.canSubscribe(client, topicFilter);
                }
                for (final BridgeTopic line : bridge.topics())
                {
                    if (line.direction().out() && line.localFilter().equals(topicFilter))
                    {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public boolean canRead(final ClientInfo client, final String topic)
            {
                final BridgeConfig bridge = bridge(client);
                if (bridge == null)
                {
                    return inner.canRead(client, topic);
                }
                for (final BridgeTopic line : bridge.topics())
                {
                    if (line.matchesLocal(topic))
                    {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public boolean needsReadCheck(final ClientInfo client, final String topicFilter)
            {
                // a bridge subscribes to exactly the filters of its lines, which it may read whole
                return bridge(client) == null && inner.needsReadCheck(client, topicFilter);
            }

            @Override
            public boolean configured()
            {
                return inner.configured();
            }

            @Override
            public boolean allowsAll()
            {
                return inner.allowsAll(); // for the listener descriptions; the bridges keep to their lines
            }

            @Override
            public String toString()
            {
                return inner.toString();
            }
        };
    }

    private BridgeConfig bridge(final ClientInfo client)
    {
        return LISTENER_NAME.equals(client.listener()) ? bridgeByClientId.get(client.clientId()) : null;
    }
}
