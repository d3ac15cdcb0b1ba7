package dev.tern.route;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class SessionTest
{
    @Test
    void shouldHoldNoQosStructuresUntilAMessageNeedsThem() throws Exception
    {
        final Session session = new Session("idle-1", true, null);
        assertEquals(0, session.inflightCount());
        assertEquals(0, session.queuedCount());
        assertEquals(0, session.inboundQos2Count());
        assertEquals(1, session.allocatePacketId());
        assertNull(field(session, "inflightByPacketId"), "an idle session has no inflight map");
        assertNull(field(session, "queue"), "no queue");
        assertNull(field(session, "inboundQos2"), "no inbound QoS 2 set");

        session.queue().add(new Session.Queued(null, 1, false));
        session.inflight().put(2, new Inflight(2, 1, null, 1, false));
        session.inboundQos2().add(7);
        assertEquals(1, session.queuedCount());
        assertEquals(1, session.inflightCount());
        assertEquals(1, session.inboundQos2Count());
        assertEquals(3, session.allocatePacketId(), "2 is in use");
        assertNotNull(field(session, "queue"));

        session.clearOutbound();
        assertEquals(0, session.queuedCount());
        assertEquals(0, session.inflightCount());
        assertNull(field(session, "inflightByPacketId"), "an ended session drops its structures");
        assertEquals(1, session.inboundQos2Count(), "inbound QoS 2 ids are not outbound state");
    }

    private static Object field(final Session session, final String name) throws Exception
    {
        final Field field = Session.class.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(session);
    }
}
