package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.codec.Property;
import dev.tern.codec.ReasonCode;
import dev.tern.event.Outbound;
import dev.tern.pipeline.RouteHarness.Sent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.pipeline.MqttPackets.LEVEL_3_1_1;
import static dev.tern.pipeline.MqttPackets.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONNECT handling without sockets (see {@link RouteHarness}): refusals, assigned client ids, a second CONNECT,
 * authentication, the connect and keep-alive timeouts.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectHandlingTest
{
    private final RouteHarness broker = new RouteHarness();

    @Test
    void shouldAcceptConnectWithConnackOnlyToThatConnection()
    {
        final long c1 = broker.open();
        final long c2 = broker.open();
        broker.send(c1, connect("alpha").build());
        final Sent connack = broker.expect(c1, Outbound.CONNACK);
        assertEquals(0, connack.returnCode());
        assertFalse(connack.sessionPresent());           // [MQTT-3.2.2-1] clean session
        broker.expectNothing(c2);
        broker.wire().assertPacket(c1, 0x20, 0x02, 0x00, 0x00);
        assertEquals(1, broker.counter("clients.connected"));
    }

    @Test
    void shouldRefuseUnsupportedProtocolLevelWithReturnCode1AndClose()
    {
        final long c = broker.open();
        broker.send(c, connect("old").protocol("MQTT", 6).build());
        final List<Sent> before = broker.expectClosed(c);
        assertEquals(1, before.size(), "one CONNACK before the close: " + before);
        assertEquals(Outbound.CONNACK, before.get(0).kind());
        assertEquals(0x01, before.get(0).returnCode()); // [MQTT-3.1.2-2]
    }

    @Test
    void shouldCloseWithoutConnackWhenTheFirstPacketIsNotConnect()
    {
        final long c = broker.open();
        broker.send(c, MqttPackets.pingreq());            // [MQTT-3.1.0-1]
        assertTrue(broker.expectClosed(c).isEmpty());
        broker.send(c, connect("late").build());          // frames after the close are dropped
        broker.expectNothing(c);
    }

    @Test
    void shouldRejectEmptyClientIdWithoutCleanSessionIn311()
    {
        final long c = broker.open();
        broker.send(c, connect("").clean(false).build());
        final List<Sent> before = broker.expectClosed(c);
        assertEquals(0x02, before.get(0).returnCode());   // [MQTT-3.1.3-8] identifier rejected
    }

    @Test
    void shouldAssignClientIdToEmptyIdWithCleanSessionIn311()
    {
        final long c1 = broker.connect(connect(""));
        final long c2 = broker.connect(connect(""));      // a second one is a different session, no takeover
        broker.expectNothing(c1);
        broker.expectNothing(c2);
        assertEquals(2, broker.counter("clients.connected"));
    }

    @Test
    void shouldAssignAndNameClientIdIn5WhateverCleanStartSays()
    {
        final long c = broker.open();
        broker.send(c, connect("").v5().clean(false).build());
        final Sent connack = broker.expect(c, Outbound.CONNACK);
        assertEquals(0, connack.returnCode());
        final Object assigned = connack.properties().get(Property.ASSIGNED_CLIENT_IDENTIFIER); // [MQTT-3.2.2-16]
        assertNotNull(assigned, "CONNACK properties " + connack.properties());
        assertFalse(((String)assigned).isEmpty());
    }

    @Test
    void shouldCloseA311ClientThatSendsASecondConnect()
    {
        final long c = broker.connect("twice");
        broker.send(c, connect("twice").build());          // [MQTT-3.1.0-2]
        assertTrue(broker.expectClosed(c).isEmpty(), "3.1.1 has no DISCONNECT from the server");
        assertEquals(0, broker.counter("clients.connected"));
    }

    @Test
    void shouldDisconnectA5ClientThatSendsASecondConnectWithProtocolError()
    {
        final long c = broker.connect5("twice5");
        broker.send(c, connect("twice5").v5().build());
        final List<Sent> before = broker.expectClosed(c);
        assertEquals(1, before.size());
        assertEquals(Outbound.DISCONNECT, before.get(0).kind());
        assertEquals(ReasonCode.PROTOCOL_ERROR, before.get(0).reasonCode());
    }

    @Test
    void shouldRefuseBadCredentialsWithTheAuthenticatorsCodeAndCountIt()
    {
        final Authenticator onlyBob = (client, password) -> "bob".equals(client.username()) && password != null &&
            "secret".equals(new String(password)) ? Authenticator.ACCEPTED : Authenticator.BAD_USERNAME_OR_PASSWORD;
        final RouteHarness secured = new RouteHarness(RouteHarness.config(), onlyBob, Authorizer.ALLOW_ALL, null);
        final long wrong = secured.open();
        secured.send(wrong, connect("x").credentials("bob", "guess").build());
        final List<Sent> before = secured.expectClosed(wrong);
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD, before.get(0).returnCode());
        assertEquals(1, secured.counter("clients.authFailures"));

        final long anonymous = secured.open();
        secured.send(anonymous, connect("y").build());
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD, secured.expectClosed(anonymous).get(0).returnCode());

        secured.connect(connect("z").credentials("bob", "secret"));
    }

    @Test
    void shouldRefuseA5ClientWithReasonCodeAndReasonString()
    {
        final RouteHarness secured = new RouteHarness(RouteHarness.config(), Authenticator.DENY_ALL,
            Authorizer.ALLOW_ALL, null);
        final long c = secured.open();
        secured.send(c, connect("x").v5().credentials("bob", "pw").build());
        final Sent connack = secured.expectClosed(c).get(0);
        assertTrue(connack.mqtt5());
        assertEquals(Authenticator.NOT_AUTHORIZED, connack.returnCode());
        assertNotNull(connack.reasonString());
    }

    @Test
    void shouldCloseASocketThatNeverSendsConnectAfterTheConnectTimeout()
    {
        final RouteHarness quick = new RouteHarness(RouteHarness.config().connectTimeoutMs(200));
        final long c = quick.open();
        quick.tick();
        quick.expectNothing(c);
        final long ms = quick.tickUntilSent(c, 10_000);
        assertTrue(quick.expectClosed(c).isEmpty());
        assertTrue(ms >= 150, "closed after " + ms + " ms");
        assertEquals(1, quick.counter("connections.connectTimeouts"));
    }

    @Test
    void shouldDisconnectAfterOneAndAHalfKeepAlivesOfSilence()
    {
        final long c = broker.connect(connect("sleepy").v5().keepAlive(1));
        final long startNs = System.nanoTime();
        broker.tickUntilSent(c, 15_000);
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        final List<Sent> before = broker.expectClosed(c);
        assertEquals(ReasonCode.KEEP_ALIVE_TIMEOUT, before.get(0).reasonCode()); // [MQTT-3.1.2-24]
        assertTrue(ms >= 1_400, "disconnected after " + ms + " ms"); // slack: wall vs monotonic clock
    }

    @Test
    void shouldAnswerPingreqWithPingresp()
    {
        final long c = broker.connect("pinger");
        broker.send(c, MqttPackets.pingreq());
        broker.expect(c, Outbound.PINGRESP);
        broker.wire().assertPacket(c, 0x20, 0x02, 0x00, 0x00);
        broker.wire().assertPacket(c, 0xD0, 0x00);
        broker.subscribe(c, LEVEL_3_1_1, "a", 0);
    }

    @Test
    void shouldNeverSetSessionPresentForMqtt31()
    {
        final long first = broker.connect(connect("legacy").protocol("MQIsdp", 3).clean(false));
        broker.drop(first);
        final long c = broker.open();
        broker.send(c, connect("legacy").protocol("MQIsdp", 3).clean(false).build());
        final Sent connack = broker.expect(c, Outbound.CONNACK);
        assertEquals(0, connack.returnCode());
        assertFalse(connack.sessionPresent(), "3.1 has no Session Present flag");
    }
}
