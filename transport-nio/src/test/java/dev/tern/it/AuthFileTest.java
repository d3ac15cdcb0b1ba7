package dev.tern.it;

import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.tern.it.ItSupport.clientId;
import static dev.tern.it.RawClient.bytes;
import static dev.tern.it.RawClient.concat;
import static dev.tern.it.RawClient.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker protected by a password file and an ACL file, driven by real clients: wrong passwords get CONNACK 4, a
 * guessing address is throttled, denied filters get SUBACK 0x80 next to granted ones, denied publishes are dropped.
 */
@Timeout(60)
class AuthFileTest
{
    @TempDir
    Path dir;

    private TernBroker start(final LoginRateLimiter limiter) throws Exception
    {
        final Path users = dir.resolve("users.txt");
        PasswordFile.putUser(users, true, "alice", "wonderland".getBytes(StandardCharsets.UTF_8), 100);
        PasswordFile.putUser(users, false, "bob", "builder".getBytes(StandardCharsets.UTF_8), 100);
        final Path acl = dir.resolve("acl.conf");
        Files.write(acl, List.of(
            "user alice",
            "topic readwrite alice/#",
            "topic read shared/#",
            "user bob",
            "topic write shared/#",
            "topic deny shared/private"));
        return TernBroker.builder().tcp("127.0.0.1", 0).config(ItSupport.testConfig())
            .authenticator(PasswordFile.load(users, limiter))
            .authorizer(AclFile.load(acl))
            .start();
    }

    private static MqttConnectOptions login(final String user, final String password)
    {
        final MqttConnectOptions options = ItSupport.options(true);
        options.setUserName(user);
        options.setPassword(password.toCharArray());
        return options;
    }

    @Test
    void shouldCheckPasswordsAndApplyTheAcl() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter()))
        {
            final MqttSecurityException wrong = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), clientId("a"), login("alice", "guess")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, wrong.getReasonCode()); // CONNACK 4
            final MqttSecurityException anonymous = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), clientId("n")));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, anonymous.getReasonCode()); // CONNACK 5

            try (PahoTestClient alice = PahoTestClient.connect(broker.port(), clientId("alice"),
                login("alice", "wonderland"));
                PahoTestClient bob = PahoTestClient.connect(broker.port(), clientId("bob"), login("bob", "builder")))
            {
                alice.subscribe("shared/#", 1);
                bob.publish("shared/news", "hello", 1, false);
                alice.await("shared/news", "hello", 1);
                bob.publish("shared/private", "secret", 1, false); // denied: acknowledged, not delivered
                bob.publish("alice/inbox", "not yours", 1, false); // no write rule for bob
                alice.assertNothingReceived();
            }
        }
    }

    @Test
    void shouldAnswerDeniedFiltersWithFailureInTheSameSuback() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter());
            RawClient raw = RawClient.connect(broker.port()))
        {
            final byte[] id = utf8("raw-alice");
            final byte[] body = concat(utf8("MQTT"), bytes(4, 0xC2, 0, 60), id, utf8("alice"), utf8("wonderland"));
            raw.send(concat(bytes(0x10, body.length), body));
            assertArrayEquals(bytes(0x20, 0x02, 0x00, 0x00), raw.readPacket(ItSupport.WAIT_MS));
            final byte[] filters = concat(utf8("alice/x"), bytes(1), utf8("bob/#"), bytes(1), utf8("shared/a"), bytes(0));
            raw.send(concat(bytes(0x82, 2 + filters.length, 0x00, 0x07), filters));
            assertArrayEquals(bytes(
                0x90, 0x05,     // SUBACK, remaining length 5
                0x00, 0x07,     // packet id 7
                0x01,           // alice/x granted QoS 1
                0x80,           // bob/# refused [MQTT-3.9.3-1]
                0x00),          // shared/a granted QoS 0
                raw.readPacket(ItSupport.WAIT_MS));
        }
    }

    @Test
    void shouldThrottleAnAddressThatKeepsGuessing() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter(3, 10_000, 60_000, System::nanoTime)))
        {
            for (int i = 0; i < 3; i++)
            {
                final int attempt = i;
                assertThrows(MqttSecurityException.class,
                    () -> PahoTestClient.connect(broker.port(), clientId("g" + attempt), login("bob", "guess" + attempt)));
            }
            final MqttSecurityException throttled = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(broker.port(), clientId("g"), login("bob", "builder")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, throttled.getReasonCode(),
                "even the right password is refused while the address backs off");
            assertTrue(broker.counters().authFailures.get() >= 4, "failures counted: " +
                broker.counters().authFailures.get());
        }
    }
}
