package dev.tern.it;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.broker.ListenerConfig;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tern.it.ItSupport.clientId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The password and ACL file rules with real clients, on a broker with a protected listener and an anonymous one: the
 * setup of the issue (users alice, bob, carol and a user literally named {@code %c}) plus an anonymous section.
 */
@Timeout(60)
class AuthRulesTest
{
    private static final int REFUSED = 0x80;

    @TempDir
    Path dir;

    private TernBroker start(final LoginRateLimiter limiter) throws Exception
    {
        final Path users = dir.resolve("users.txt");
        PasswordFile.putUser(users, true, "alice", utf8("alice-pw"), 50);
        for (final String user : List.of("bob", "carol", "%c"))
        {
            PasswordFile.putUser(users, false, user, utf8(user + "-pw"), 50);
        }
        final Path acl = dir.resolve("acl.conf");
        Files.write(acl, List.of(
            "topic read anon/#",
            "user alice",
            "topic read public/#",
            "topic deny public/secret/#",
            "topic read private/alice/#",
            "user bob",
            "topic read public/#",
            "user carol",
            "topic readwrite #",
            "pattern readwrite users/%u/#"));
        return TernBroker.builder().config(ItSupport.testConfig())
            .listener(ListenerConfig.tcp("secure", "127.0.0.1", 0))
            .listener(new ListenerConfig("open", "127.0.0.1", 0, true))
            .authenticator(PasswordFile.load(users, limiter))
            .authorizer(AclFile.load(acl))
            .start();
    }

    private static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static MqttConnectOptions login(final String user, final String password)
    {
        final MqttConnectOptions options = ItSupport.options(true);
        options.setUserName(user);
        options.setPassword(password.toCharArray());
        return options;
    }

    private static int[] subscribe(final PahoTestClient client, final String... filters) throws MqttException
    {
        return client.client().subscribeWithResponse(filters, new int[filters.length]).getGrantedQos();
    }

    @Test
    void shouldNotLetAUserNamedPercentCReachAnotherClientsTopics() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter());
            PahoTestClient percentC = PahoTestClient.connect(broker.port("secure"), "alice", login("%c", "%c-pw"));
            PahoTestClient carol = PahoTestClient.connect(broker.port("secure"), clientId("carol"),
                login("carol", "carol-pw")))
        {
            // users/%u/# for the user "%c" is users/%c/#, never users/<client id>/#
            assertArrayEquals(new int[] {REFUSED, 0}, subscribe(percentC, "users/alice/#", "users/%c/#"));
            carol.publish("users/alice/inbox", "for alice", 1, false);
            carol.publish("users/%c/inbox", "for %c", 1, false);
            percentC.await("users/%c/inbox", "for %c", 0);
            percentC.assertNothingReceived();
        }
    }

    @Test
    void shouldCheckCredentialsPresentedOnAnAnonymousListener() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter()))
        {
            final int open = broker.port("open");
            final MqttSecurityException wrong = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(open, clientId("a"), login("alice", "guess")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, wrong.getReasonCode()); // CONNACK 4
            final MqttSecurityException unknown = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(open, clientId("z"), login("zed", "guess")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, unknown.getReasonCode());

            final Mqtt5BlockingClient v5 = MqttClient.builder().useMqttVersion5().identifier(clientId("a5"))
                .serverHost("127.0.0.1").serverPort(open).buildBlocking();
            final Mqtt5ConnAckException refused = assertThrows(Mqtt5ConnAckException.class,
                () -> v5.connectWith().simpleAuth().username("alice").password(utf8("guess")).applySimpleAuth().send());
            assertEquals(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, refused.getMqttMessage().getReasonCode());

            // the right password: admitted, and alice's rules apply on this listener too
            try (PahoTestClient alice = PahoTestClient.connect(open, clientId("a"), login("alice", "alice-pw")))
            {
                assertArrayEquals(new int[] {0, REFUSED, REFUSED},
                    subscribe(alice, "public/news", "public/secret/x", "private/bob/#"));
            }
        }
    }

    @Test
    void shouldApplyTheAnonymousRulesToAnonymousClientsOnAnAnonymousListener() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter());
            PahoTestClient anonymous = PahoTestClient.connect(broker.port("open"), clientId("anon"));
            PahoTestClient carol = PahoTestClient.connect(broker.port("secure"), clientId("carol"),
                login("carol", "carol-pw")))
        {
            assertArrayEquals(new int[] {0, REFUSED, REFUSED, REFUSED},
                subscribe(anonymous, "anon/#", "#", "$SYS/#", "public/#"));
            carol.subscribe("anon/#", 0);
            anonymous.publish("anon/from-anonymous", "read only", 0, false); // no write rule: dropped
            carol.publish("anon/news", "hello", 0, false);
            anonymous.await("anon/news", "hello", 0);
            carol.await("anon/news", "hello", 0);
            carol.assertNothingReceived();
        }
    }

    @Test
    void shouldThrottleAGuessedUserWithoutLockingOutOthersAtTheSameAddress() throws Exception
    {
        try (TernBroker broker = start(new LoginRateLimiter(3, 10_000, 60_000, System::nanoTime)))
        {
            final int port = broker.port("secure");
            for (int i = 0; i < 3; i++)
            {
                final String guess = "guess" + i;
                assertThrows(MqttSecurityException.class,
                    () -> PahoTestClient.connect(port, clientId("bob"), login("bob", guess)));
            }
            final MqttSecurityException throttled = assertThrows(MqttSecurityException.class,
                () -> PahoTestClient.connect(port, clientId("bob"), login("bob", "bob-pw")));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, throttled.getReasonCode(),
                "bob backs off from this address, even with the right password");
            try (PahoTestClient alice = PahoTestClient.connect(port, clientId("alice"), login("alice", "alice-pw")))
            {
                assertArrayEquals(new int[] {0}, subscribe(alice, "public/#"), "alice at the same address logs in");
            }
        }
    }

    @Test
    void shouldRefuseAWrongPasswordFromMosquittoPubOnAnAnonymousListener() throws Exception
    {
        Assumptions.assumeTrue(onPath("mosquitto_pub"), "mosquitto_pub not installed: skipped");
        try (TernBroker broker = start(new LoginRateLimiter()))
        {
            final String port = Integer.toString(broker.port("open"));
            final Path err = dir.resolve("mosquitto_pub.err");
            final Process wrong = new ProcessBuilder("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv311",
                "-i", clientId("mp"), "-u", "alice", "-P", "guess", "-t", "anon/x", "-m", "hi")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
            assertTrue(wrong.waitFor(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS), "mosquitto_pub did not finish");
            final String stderr = Files.readString(err);
            assertTrue(stderr.contains("bad user name or password"), "stderr: " + stderr);
            assertEquals(4, wrong.exitValue(), "exit code is the CONNACK code; stderr: " + stderr);
        }
    }

    private static boolean onPath(final String program)
    {
        final String path = System.getenv("PATH");
        if (path != null)
        {
            for (final String entry : path.split(File.pathSeparator))
            {
                if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program)))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
