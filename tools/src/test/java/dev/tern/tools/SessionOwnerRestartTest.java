package dev.tern.tools;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.broker.BrokerConfig;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner of a persistent session is journaled: after a restart on the same persistence directory (from deltas,
 * and from a checkpoint) bob still cannot resume, take over or discard alice's session, and alice still can.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SessionOwnerRestartTest
{
    @TempDir
    Path dir;

    private TernBroker start(final long checkpointEvery) throws Exception
    {
        final Path users = dir.resolve("users.txt");
        if (!Files.exists(users))
        {
            PasswordFile.putUser(users, true, "alice", "wonderland".getBytes(StandardCharsets.UTF_8), 100);
            PasswordFile.putUser(users, false, "bob", "builder".getBytes(StandardCharsets.UTF_8), 100);
            Files.write(dir.resolve("acl.conf"), List.of(
                "user alice",
                "topic read private/alice/#",
                "user bob",
                "topic read public/#"));
        }
        return TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).checkpointEveryRecords(checkpointEvery))
            .authenticator(PasswordFile.load(users, new LoginRateLimiter()))
            .authorizer(AclFile.load(dir.resolve("acl.conf")))
            .storage(new ChronicleStorage(JournalSettings.of(dir.resolve("journal"))))
            .start();
    }

    private static org.eclipse.paho.client.mqttv3.MqttClient paho(
        final int port, final String id, final String user, final String password) throws MqttException
    {
        final org.eclipse.paho.client.mqttv3.MqttClient client =
            new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setAutomaticReconnect(false);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setUserName(user);
        options.setPassword(password.toCharArray());
        try
        {
            client.connect(options);
        }
        catch (final MqttException ex)
        {
            client.close(true);
            throw ex;
        }
        return client;
    }

    private static Mqtt5BlockingClient hivemq(final int port, final String id, final String user, final String password)
    {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(port)
            .simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
            .buildBlocking();
    }

    @Test
    void shouldKeepTheOwnerThroughDeltas() throws Exception
    {
        shouldKeepTheOwner(1_000_000);
    }

    @Test
    void shouldKeepTheOwnerThroughACheckpoint() throws Exception
    {
        shouldKeepTheOwner(3); // the session's records are folded into checkpoints while it is written
    }

    private void shouldKeepTheOwner(final long checkpointEvery) throws Exception
    {
        try (TernBroker broker = start(checkpointEvery))
        {
            final org.eclipse.paho.client.mqttv3.MqttClient alice = paho(broker.port(), "alice-v3", "alice",
                "wonderland");
            alice.subscribe("private/alice/#", 1);
            alice.disconnect();
            alice.close();
            final Mqtt5BlockingClient alice5 = hivemq(broker.port(), "alice-v5", "alice", "wonderland");
            alice5.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
            alice5.subscribeWith().topicFilter("private/alice/#").qos(MqttQos.AT_LEAST_ONCE).send();
            alice5.disconnect();
            broker.publish("private/alice/before", "queued".getBytes(StandardCharsets.UTF_8), 1, false);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (broker.counters().messagesQueued.get() < 2 && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(10);
            }
            assertEquals(2, broker.counters().messagesQueued.get(), "queued for both of alice's sessions");
        }

        try (TernBroker broker = start(checkpointEvery))
        {
            broker.publish("private/alice/after", "live".getBytes(StandardCharsets.UTF_8), 1, false);
            for (final boolean clean : new boolean[] {false, true})
            {
                final MqttConnectOptions options = new MqttConnectOptions();
                options.setCleanSession(clean);
                options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1); // no retry as 3.1
                options.setUserName("bob");
                options.setPassword("builder".toCharArray());
                final org.eclipse.paho.client.mqttv3.MqttClient bob = new org.eclipse.paho.client.mqttv3.MqttClient(
                    "tcp://127.0.0.1:" + broker.port(), "alice-v3", new MemoryPersistence());
                final MqttSecurityException refused = assertThrows(MqttSecurityException.class,
                    () -> bob.connect(options));
                assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refused.getReasonCode());
                bob.close(true);

                final Mqtt5BlockingClient bob5 = hivemq(broker.port(), "alice-v5", "bob", "builder");
                final Mqtt5ConnAckException refused5 = assertThrows(Mqtt5ConnAckException.class,
                    () -> bob5.connectWith().cleanStart(clean).sessionExpiryInterval(60).send());
                assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, refused5.getMqttMessage().getReasonCode());
            }
            assertEquals(4, broker.counters().sessionOwnerRefused.get());

            final Mqtt5BlockingClient alice5 = hivemq(broker.port(), "alice-v5", "alice", "wonderland");
            try (Mqtt5BlockingClient.Mqtt5Publishes inbox = alice5.publishes(MqttGlobalPublishFilter.ALL))
            {
                final Mqtt5ConnAck connack = alice5.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
                assertTrue(connack.isSessionPresent(), "her session survived the restart and bob");
                for (final String topic : new String[] {"private/alice/before", "private/alice/after"})
                {
                    final Optional<Mqtt5Publish> got = inbox.receive(10, TimeUnit.SECONDS);
                    assertTrue(got.isPresent(), "queued " + topic);
                    assertEquals(topic, got.get().getTopic().toString());
                }
            }
            finally
            {
                alice5.disconnect();
            }
            final org.eclipse.paho.client.mqttv3.MqttClient alice = paho(broker.port(), "alice-v3", "alice",
                "wonderland");
            alice.disconnect();
            alice.close();
        }

        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        assertEquals(0, TernMain.run(new String[] {"journal", "dump", "--client", "alice-v3",
            dir.resolve("journal").toString()}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertTrue(out.toString().contains("SESSION_CREATE client=alice-v3 owner=alice"), out.toString());
    }
}
