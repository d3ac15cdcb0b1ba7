package dev.tern.tools;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.ListenerConfig;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A bridge's queue survives kill -9: QoS 1 messages published while the remote broker is down are journaled in the
 * bridge's local session, and after a restart of the killed broker they all reach the remote broker, once and in
 * order.
 */
class BridgeRestartTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void shouldDeliverMessagesQueuedForABridgeOnceAndInOrderAfterKillDashNine() throws Exception
    {
        final int remotePort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            remotePort = probe.getLocalPort();
        }
        final Path config = dir.resolve("tern.yaml");
        Files.writeString(config, """
            listeners:
              - port: 0
            limits:
              maxQueuedMessages: 5000
            persistence:
              enabled: true
              directory: journal
            bridges:
              - name: up
                addresses: ["127.0.0.1:%d"]
                reconnect:
                  initialDelayMs: 100
                  maxDelayMs: 500
                topics: ["q/# out 1 \\"\\" site/"]
            """.formatted(remotePort), StandardCharsets.UTF_8);
        final int count = 1_000;
        TernBroker remote = startRemote(remotePort);
        try (TernProcess tern = TernProcess.start("--config", config.toString()))
        {
            final int port = tern.port();
            tern.awaitStarted(); // the bridge's local session is subscribed: messages queue for it from now on
            tern.await(l -> l.contains("bridge 'up': connected to 127.0.0.1:" + remotePort));
            remote.close();
            tern.await(l -> l.contains("bridge 'up': disconnected from"));
            final Mqtt5AsyncClient publisher = MqttClient.builder().useMqttVersion5().identifier("pub")
                .serverHost("127.0.0.1").serverPort(port).buildAsync();
            publisher.connect().get(10, TimeUnit.SECONDS);
            final CompletableFuture<?>[] acks = new CompletableFuture<?>[count];
            for (int i = 0; i < count; i++)
            {
                acks[i] = publisher.publishWith().topic("q/n").payload(Integer.toString(i).getBytes(StandardCharsets.UTF_8))
                    .qos(MqttQos.AT_LEAST_ONCE).send();
            }
            CompletableFuture.allOf(acks).get(60, TimeUnit.SECONDS); // acknowledged: journaled
            tern.kill();
        }
        remote = startRemote(remotePort);
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final Mqtt5AsyncClient subscriber = MqttClient.builder().useMqttVersion5().identifier("sub")
            .serverHost("127.0.0.1").serverPort(remotePort).buildAsync();
        subscriber.publishes(MqttGlobalPublishFilter.ALL,
            p -> received.add(p.getTopic() + "=" + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)));
        subscriber.connect().get(10, TimeUnit.SECONDS);
        subscriber.subscribeWith().topicFilter("site/#").qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
        try (TernProcess tern = TernProcess.start("--config", config.toString()))
        {
            tern.await(l -> l.contains("bridge 'up': connected to"));
            for (int i = 0; i < count; i++)
            {
                final String message = received.poll(30, TimeUnit.SECONDS);
                assertNotNull(message, "message " + i + " of " + count);
                assertEquals("site/q/n=" + i, message, "once and in order");
            }
            assertNull(received.poll(1, TimeUnit.SECONDS), "nothing more");
        }
        finally
        {
            subscriber.disconnect();
            remote.close();
        }
    }

    private static TernBroker startRemote(final int port)
    {
        return TernBroker.builder().listener(ListenerConfig.tcp("remote", "127.0.0.1", port)).allowAnonymous()
            .config(BrokerConfig.defaults()).start();
    }
}
