package dev.tern.route;

import dev.tern.codec.Properties;
import dev.tern.codec.Property;
import dev.tern.codec.V5Encoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnackFitTest
{
    /** What the broker sends with its defaults, plus a Reason String and a User Property. */
    private static Properties full()
    {
        return new Properties()
            .set(Property.RECEIVE_MAXIMUM, 32)
            .set(Property.MAXIMUM_PACKET_SIZE, 1 << 20)
            .set(Property.TOPIC_ALIAS_MAXIMUM, 10)
            .set(Property.RETAIN_AVAILABLE, 1)
            .set(Property.WILDCARD_SUBSCRIPTION_AVAILABLE, 1)
            .set(Property.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1)
            .set(Property.SHARED_SUBSCRIPTION_AVAILABLE, 1)
            .set(Property.REASON_STRING, "why")
            .addUserProperty("k", "v");
    }

    @Test
    void shouldLeaveACONNACKThatFitsAlone()
    {
        final Properties properties = full();
        final long before = properties.presentMask();
        assertTrue(ConnackFit.fit(properties, V5Encoder.connackLength(properties)));
        assertEquals(before, properties.presentMask());
        assertTrue(ConnackFit.fit(properties, Long.MAX_VALUE));
        assertEquals(before, properties.presentMask());
    }

    @Test
    void shouldDropReasonStringAndUserPropertiesFirst()
    {
        final Properties properties = full();
        assertTrue(ConnackFit.fit(properties, V5Encoder.connackLength(properties) - 1));
        assertFalse(properties.has(Property.REASON_STRING));
        assertFalse(properties.has(Property.USER_PROPERTY));
        assertTrue(properties.has(Property.RETAIN_AVAILABLE), "nothing else went");
    }

    @Test
    void shouldDropDefaultsThenAdvisoryPropertiesUntilItFits()
    {
        final Properties properties = full();
        assertTrue(ConnackFit.fit(properties, 16));
        // 5 + Receive Maximum (3) + Maximum Packet Size (5) + Topic Alias Maximum (3): the defaults were enough
        assertEquals(16, V5Encoder.connackLength(properties));
        assertFalse(properties.has(Property.RETAIN_AVAILABLE));
        assertFalse(properties.has(Property.SHARED_SUBSCRIPTION_AVAILABLE));
        assertTrue(properties.has(Property.TOPIC_ALIAS_MAXIMUM));

        assertTrue(ConnackFit.fit(properties, 10));
        assertEquals(10, V5Encoder.connackLength(properties));
        assertTrue(properties.has(Property.MAXIMUM_PACKET_SIZE), "the limit the client most needs stays longest");

        assertTrue(ConnackFit.fit(properties, ConnackFit.BARE_LENGTH));
        assertTrue(properties.isEmpty());
    }

    @Test
    void shouldKeepTheAssignedClientIdentifier()
    {
        final Properties properties = full().set(Property.ASSIGNED_CLIENT_IDENTIFIER, "tern-1");
        assertFalse(ConnackFit.fit(properties, 10));
        assertTrue(properties.has(Property.ASSIGNED_CLIENT_IDENTIFIER));
        assertFalse(ConnackFit.mandatoryFits("tern-1", null, null, 10));
        assertTrue(ConnackFit.mandatoryFits("tern-1", null, null, 14)); // 5 + 1 + 2 + 6
        assertTrue(ConnackFit.mandatoryFits(null, null, null, ConnackFit.BARE_LENGTH));
        assertFalse(ConnackFit.mandatoryFits(null, "SCRAM-SHA-1", new byte[8], 20));
    }
}
