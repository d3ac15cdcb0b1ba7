package dev.tern.route;

import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.V5Encoder;

/**
 * Keeps an MQTT 5.0 CONNACK within the Maximum Packet Size the client declared in CONNECT [MQTT-3.1.2-24]: its
 * optional properties are dropped, least needed first, until it fits.
 * <ol>
 *   <li>Reason String and User Properties [MQTT-3.2.2-19], [MQTT-3.2.2-20];</li>
 *   <li>properties that restate the value the client assumes when they are absent (nothing is lost);</li>
 *   <li>one at a time, in {@link #DROP_ORDER}: what only grants more than the default, then the limits the broker
 *       enforces anyway (the client then learns them from a refusal instead), the Maximum Packet Size last.</li>
 * </ol>
 * Assigned Client Identifier [MQTT-3.2.2-16] and the authentication properties are never dropped: when those alone
 * do not fit, the broker refuses the connection ({@link #mandatoryFits}).
 */
final class ConnackFit
{
    /** Step 3, first dropped first. */
    private static final int[] DROP_ORDER =
    {
        Property.RESPONSE_INFORMATION,
        Property.SERVER_REFERENCE,
        Property.TOPIC_ALIAS_MAXIMUM,
        Property.SHARED_SUBSCRIPTION_AVAILABLE,
        Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE,
        Property.WILDCARD_SUBSCRIPTION_AVAILABLE,
        Property.RETAIN_AVAILABLE,
        Property.MAXIMUM_QOS,
        Property.RECEIVE_MAXIMUM,
        Property.SESSION_EXPIRY_INTERVAL,
        Property.SERVER_KEEP_ALIVE,
        Property.MAXIMUM_PACKET_SIZE,
    };

    /** A CONNACK without properties: fixed header, flags, reason code, property length 0. */
    static final int BARE_LENGTH = V5Encoder.connackLength(null);

    private ConnackFit()
    {
    }

    /**
     * Drop properties until the CONNACK fits.
     *
     * @param maximumPacketSize the client's Maximum Packet Size, {@link Long#MAX_VALUE} if it declared none.
     * @return true if it fits now; false if what is left still does not (only the properties never dropped).
     */
    static boolean fit(final Properties properties, final long maximumPacketSize)
    {
        if (fits(properties, maximumPacketSize))
        {
            return true;
        }
        properties.remove(Property.REASON_STRING).remove(Property.USER_PROPERTY);
        if (fits(properties, maximumPacketSize))
        {
            return true;
        }
        removeIfDefault(properties, Property.RECEIVE_MAXIMUM, 65_535);
        removeIfDefault(properties, Property.MAXIMUM_QOS, 2);
        removeIfDefault(properties, Property.RETAIN_AVAILABLE, 1);
        removeIfDefault(properties, Property.TOPIC_ALIAS_MAXIMUM, 0);
        removeIfDefault(properties, Property.WILDCARD_SUBSCRIPTION_AVAILABLE, 1);
        removeIfDefault(properties, Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1);
        removeIfDefault(properties, Property.SHARED_SUBSCRIPTION_AVAILABLE, 1);
        for (final int id : DROP_ORDER)
        {
            if (fits(properties, maximumPacketSize))
            {
                return true;
            }
            properties.remove(id);
        }
        return fits(properties, maximumPacketSize);
    }

    /**
     * Whether a successful CONNACK can fit at all: with the properties that are never dropped.
     *
     * @param assignedClientId the identifier the broker assigned, or null if the client chose one.
     * @param authMethod       the enhanced authentication method, or null.
     * @param authData         the final Authentication Data, or null.
     */
    static boolean mandatoryFits(
        final String assignedClientId, final String authMethod, final byte[] authData, final long maximumPacketSize)
    {
        if (maximumPacketSize == Long.MAX_VALUE)
        {
            return true;
        }
        final Properties mandatory = new Properties(); // only for clients that declare a limit: CONNECT is rare
        if (assignedClientId != null)
        {
            mandatory.set(Property.ASSIGNED_CLIENT_IDENTIFIER, assignedClientId);
        }
        if (authMethod != null)
        {
            mandatory.set(Property.AUTHENTICATION_METHOD, authMethod);
            if (authData != null)
            {
                mandatory.set(Property.AUTHENTICATION_DATA, authData);
            }
        }
        return fits(mandatory, maximumPacketSize);
    }

    private static boolean fits(final Properties properties, final long maximumPacketSize)
    {
        return V5Encoder.connackLength(properties) <= maximumPacketSize;
    }

    private static void removeIfDefault(final Properties properties, final int id, final long absentValue)
    {
        if (properties.value(id, absentValue) == absentValue)
        {
            properties.remove(id);
        }
    }
}
