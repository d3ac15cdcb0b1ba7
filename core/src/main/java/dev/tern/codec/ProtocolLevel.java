package dev.tern.codec;

/**
 * Protocol level byte of CONNECT: 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1 ("MQTT"), 5 = MQTT 5.0 ("MQTT").
 */
public final class ProtocolLevel
{
    public static final int UNKNOWN = 0;
    public static final int MQTT_3_1 = 3;
    public static final int MQTT_3_1_1 = 4;
    public static final int MQTT_5 = 5;

    private ProtocolLevel()
    {
    }
}
