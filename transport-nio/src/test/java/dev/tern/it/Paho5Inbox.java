package dev.tern.it;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Collects what a Paho v5 client receives: messages with their topics, and the reason codes of DISCONNECTs. */
final class Paho5Inbox implements MqttCallback
{
    final BlockingQueue<MqttMessage> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<String> topics = new LinkedBlockingQueue<>();
    final BlockingQueue<Integer> disconnects = new LinkedBlockingQueue<>();

    @Override
    public void disconnected(final MqttDisconnectResponse response)
    {
        disconnects.add(response.getReturnCode());
    }

    @Override
    public void mqttErrorOccurred(final MqttException exception)
    {
    }

    @Override
    public void messageArrived(final String topic, final MqttMessage message)
    {
        topics.add(topic);
        messages.add(message);
    }

    @Override
    public void deliveryComplete(final IMqttToken token)
    {
    }

    @Override
    public void connectComplete(final boolean reconnect, final String serverUri)
    {
    }

    @Override
    public void authPacketArrived(final int reasonCode, final MqttProperties properties)
    {
    }
}
