package dev.tern.bridge;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientTransportConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedListener;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedListener;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscribe;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscription;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The bridge's client on the remote broker, over the HiveMQ MQTT client, for MQTT 3.1.1 or 5.0. Received messages are
 * acknowledged only when the bridge says so ({@link Inbound#ack}), after the local broker accepted them.
 */
abstract class RemoteLink
{
    /** A message from the remote broker, on the client's I/O thread (in order with the connect and disconnect). */
    interface Inbound
    {
        /** @param path the brokers the message went through ({@link Bridge#PATH_PROPERTY}), null without. */
        void onMessage(String topic, byte[] payload, int qos, boolean retain, String path, Runnable ack);
    }

    /** Outcome of a publish the remote broker answered. */
    enum Outcome
    {
        ACCEPTED, REFUSED
    }

    static RemoteLink create(
        final BridgeConfig config, final MqttClientTransportConfig transport,
        final MqttClientConnectedListener connected, final MqttClientDisconnectedListener disconnected,
        final Inbound inbound, final Executor executor)
    {
        return config.protocolLevel() == 5 ?
            new V5(config, transport, connected, disconnected, inbound, executor) :
            new V311(config, transport, connected, disconnected, inbound, executor);
    }

    /** Connect once; reconnects are the disconnected listener's business. */
    abstract CompletableFuture<?> connect();

    /** Subscribe to the remote filters of the lines (in and both). */
    abstract CompletableFuture<?> subscribe(List<BridgeTopic> lines);

    /** @return completes with the remote broker's answer, exceptionally if the link failed first. */
    abstract CompletableFuture<Outcome> publish(String topic, byte[] payload, int qos, boolean retain, String path);

    abstract CompletableFuture<?> disconnect();

    /** MQTT 5.0: No Local and Retain As Published on every subscription keep the bridge's own messages from echoing. */
    private static final class V5 extends RemoteLink
    {
        private final BridgeConfig config;
        private final Mqtt5AsyncClient client;

        V5(final BridgeConfig config, final MqttClientTransportConfig transport,
            final MqttClientConnectedListener connected, final MqttClientDisconnectedListener disconnected,
            final Inbound inbound, final Executor executor)
        {
            this.config = config;
            client = MqttClient.builder().useMqttVersion5().identifier(config.clientId()).transportConfig(transport)
                .addConnectedListener(connected).addDisconnectedListener(disconnected).buildAsync();
            client.publishes(MqttGlobalPublishFilter.ALL, p -> inbound.onMessage(p.getTopic().toString(),
                p.getPayloadAsBytes(), p.getQos().getCode(), p.isRetain(), LoopGuard.path(p), p::acknowledge), true);
        }

        @Override
        CompletableFuture<?> connect()
        {
            final Mqtt5ConnectBuilder.Send<?> connect = client.connectWith()
                .cleanStart(config.cleanSession())
                .sessionExpiryInterval(config.cleanSession() ? 0 : config.sessionExpirySeconds())
                .keepAlive(config.keepAliveSeconds());
            if (config.username() != null || config.password() != null)
            {
                connect.simpleAuth().username(config.username() == null ? "" : config.username())
                    .password(config.password() == null ? new byte[0] : config.password()).applySimpleAuth();
            }
            return (CompletableFuture<?>)connect.send();
        }

        @Override
        CompletableFuture<?> subscribe(final List<BridgeTopic> lines)
        {
            final List<Mqtt5Subscription> subscriptions = new ArrayList<>();
            for (final BridgeTopic line : lines)
            {
                subscriptions.add(Mqtt5Subscription.builder().topicFilter(line.remoteFilter())
                    .qos(MqttQos.fromCode(line.qos())).noLocal(true).retainAsPublished(true)
                    .retainHandling(Mqtt5RetainHandling.SEND).build());
            }
            return client.subscribe(Mqtt5Subscribe.builder().addSubscriptions(subscriptions).build());
        }

        @Override
        CompletableFuture<Outcome> publish(
            final String topic, final byte[] payload, final int qos, final boolean retain, final String path)
        {
            return client.publish(Mqtt5Publish.builder().topic(topic).payload(payload).qos(MqttQos.fromCode(qos))
                .retain(retain).userProperties().add(Bridge.PATH_PROPERTY, path).applyUserProperties().build()).thenApply(result -> result.getError().isPresent() ?
                    Outcome.REFUSED : Outcome.ACCEPTED);
        }

        @Override
        CompletableFuture<?> disconnect()
        {
            return client.disconnect();
        }
    }

    /**
     * MQTT 3.1.1 has no No Local: the remote broker sends the bridge's own messages back when an {@code in} filter
     * covers them; {@link Bridge} recognises and drops those echoes.
     */
    private static final class V311 extends RemoteLink
    {
        private final BridgeConfig config;
        private final Mqtt3AsyncClient client;

        V311(final BridgeConfig config, final MqttClientTransportConfig transport,
            final MqttClientConnectedListener connected, final MqttClientDisconnectedListener disconnected,
            final Inbound inbound, final Executor executor)
        {
            this.config = config;
            client = MqttClient.builder().useMqttVersion3().identifier(config.clientId()).transportConfig(transport)
                .addConnectedListener(connected).addDisconnectedListener(disconnected).buildAsync();
            client.publishes(MqttGlobalPublishFilter.ALL, p -> inbound.onMessage(p.getTopic().toString(),
                p.getPayloadAsBytes(), p.getQos().getCode(), p.isRetain(), null, p::acknowledge), true);
        }

        @Override
        CompletableFuture<?> connect()
        {
            final Mqtt3ConnectBuilder.Send<?> connect = client.connectWith()
                .cleanSession(config.cleanSession())
                .keepAlive(config.keepAliveSeconds());
            if (config.username() != null)
            {
                final var auth = connect.simpleAuth().username(config.username());
                if (config.password() != null)
                {
                    auth.password(config.password());
                }
                auth.applySimpleAuth();
            }
            return (CompletableFuture<?>)connect.send();
        }

        @Override
        CompletableFuture<?> subscribe(final List<BridgeTopic> lines)
        {
            final List<Mqtt3Subscription> subscriptions = new ArrayList<>();
            for (final BridgeTopic line : lines)
            {
                subscriptions.add(Mqtt3Subscription.builder().topicFilter(line.remoteFilter())
                    .qos(MqttQos.fromCode(line.qos())).build());
            }
            return client.subscribe(Mqtt3Subscribe.builder().addSubscriptions(subscriptions).build());
        }

        @Override
        CompletableFuture<Outcome> publish(
            final String topic, final byte[] payload, final int qos, final boolean retain, final String path)
        {
            return client.publish(Mqtt3Publish.builder().topic(topic).payload(payload).qos(MqttQos.fromCode(qos))
                .retain(retain).build()).thenApply(published -> Outcome.ACCEPTED);
        }

        @Override
        CompletableFuture<?> disconnect()
        {
            return client.disconnect();
        }
    }
}
