package dev.tern.route;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReservedTopicsTest
{
    @Test
    void shouldReserveTheSysAndShareFirstLevels()
    {
        for (final String topic : new String[] {"$SYS", "$SYS/broker/uptime", "$share", "$share/g/x", "$SYS/"})
        {
            assertEquals(true, reserved(topic), topic);
        }
        for (final String topic : new String[] {"", "SYS/x", "$SYSX/x", "$sys/x", "$shared/x", "a/$SYS", "$", "$SY"})
        {
            assertEquals(false, reserved(topic), topic);
        }
    }

    private static boolean reserved(final String topic)
    {
        final byte[] bytes = ("xx" + topic).getBytes(StandardCharsets.UTF_8);
        return ReservedTopics.isReserved(new UnsafeBuffer(bytes), 2, bytes.length - 2);
    }
}
