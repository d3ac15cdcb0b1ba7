package dev.tern.bridge;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopGuardTest
{
    private static final byte[] PAYLOAD = "22.5".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldRecogniseAPathThatWentThroughThisBrokerOnly()
    {
        final LoopGuard guard = new LoopGuard("b2", false);
        assertFalse(guard.passedHere(null));
        assertFalse(guard.passedHere("b1,b22"));
        assertTrue(guard.passedHere("b1,b2"));
        assertEquals("b2", guard.extend(null));
        assertEquals("b2", guard.extend(""));
        assertEquals("b1,b2", guard.extend("b1"));
        assertTrue(guard.passedHere(guard.extend("b1")));
    }

    @Test
    void shouldDropOneEchoForEachForwardedMessage()
    {
        final LoopGuard guard = new LoopGuard("b1", true);
        guard.expectEcho("site/temp", PAYLOAD);
        guard.expectEcho("site/temp", PAYLOAD);
        assertFalse(guard.consumeEcho("site/temp", "other".getBytes(StandardCharsets.UTF_8)));
        assertFalse(guard.consumeEcho("site/humidity", PAYLOAD));
        assertTrue(guard.consumeEcho("site/temp", PAYLOAD));
        assertTrue(guard.consumeEcho("site/temp", PAYLOAD));
        assertFalse(guard.consumeEcho("site/temp", PAYLOAD), "a third copy is a new message from the remote");
    }

    @Test
    void shouldDropNoEchoWhenTheRemoteHasNoLocal()
    {
        final LoopGuard guard = new LoopGuard("b1", false);
        guard.expectEcho("site/temp", PAYLOAD);
        assertFalse(guard.consumeEcho("site/temp", PAYLOAD));
    }
}
