package dev.tern.codec;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Properties instance makes its arrays on first use (every pipeline event holds six): a fresh one answers every
 * query as empty, and one that only ever held repeatable properties (User Property, Subscription Identifier) clears,
 * removes and encodes them.
 */
class PropertiesTest
{
    @Test
    void shouldAnswerQueriesOnAFreshInstanceAsEmpty()
    {
        final Properties properties = new Properties();

        assertTrue(properties.isEmpty());
        assertFalse(properties.has(Property.CONTENT_TYPE));
        assertNull(properties.buffer(Property.CONTENT_TYPE));
        assertEquals(0, properties.offset(Property.CONTENT_TYPE));
        assertEquals(0, properties.length(Property.CONTENT_TYPE));
        assertEquals(-1, properties.value(Property.SUBSCRIPTION_IDENTIFIER, -1));
        assertEquals(1, Properties.blockLength(properties), "an empty block is its length byte");
        properties.clear();
        properties.remove(Property.USER_PROPERTY);
        assertTrue(properties.isEmpty());
    }

    @Test
    void shouldClearRemoveAndEncodeRepeatablePropertiesAloneOnAFreshInstance()
    {
        final Properties users = new Properties().addUserProperty("k", "v");
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer(64);

        // length 7; 0x26 User Property, name "k" (00 01 6b), value "v" (00 01 76)
        assertEquals(8, Properties.writeBlock(out, 0, users));
        assertEquals(7, out.getByte(0));
        assertEquals(0x26, out.getByte(1));
        users.remove(Property.USER_PROPERTY);
        assertTrue(users.isEmpty());
        users.addUserProperty("a", "b").clear();
        assertEquals(0, users.userPropertyCount());

        final Properties ids = new Properties().addSubscriptionIdentifier(5);
        assertEquals(5, ids.value(Property.SUBSCRIPTION_IDENTIFIER, -1));
        ids.addSubscriptionIdentifier(6).addSubscriptionIdentifier(7).addSubscriptionIdentifier(8)
            .addSubscriptionIdentifier(9); // past the first array of four
        assertEquals(5, ids.subscriptionIdentifierCount());
        assertEquals(9, ids.subscriptionIdentifier(4));
        ids.clear();
        assertTrue(ids.isEmpty());
    }
}
