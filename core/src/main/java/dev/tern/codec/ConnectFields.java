package dev.tern.codec;

/**
 * The fields of a CONNECT for {@link ConnectEncoder}, client side (tests and tools). Set with the fluent methods;
 * what is not set is absent: no properties, no will, no username, no password, clean start off, keep alive 0.
 */
public final class ConnectFields
{
    final int protocolLevel;
    final String clientId;
    boolean cleanStart;
    int keepAliveSeconds;
    Properties properties;
    Properties willProperties;
    String willTopic;
    byte[] willPayload;
    int willQos;
    boolean willRetain;
    String username;
    byte[] password;

    /**
     * @param protocolLevel 3, 4 or 5 (any other level is written with the 3.1.1 layout, so tests can send it).
     * @param clientId      the client identifier, "" for none.
     */
    public ConnectFields(final int protocolLevel, final String clientId)
    {
        this.protocolLevel = protocolLevel;
        this.clientId = clientId;
    }

    /**
     * @param cleanStart       Clean Start (Clean Session in 3.1.1).
     * @param keepAliveSeconds 0..65535.
     * @return this.
     */
    public ConnectFields session(final boolean cleanStart, final int keepAliveSeconds)
    {
        this.cleanStart = cleanStart;
        this.keepAliveSeconds = keepAliveSeconds;
        return this;
    }

    /**
     * @param properties 5.0 CONNECT properties, null for none.
     * @return this.
     */
    public ConnectFields properties(final Properties properties)
    {
        this.properties = properties;
        return this;
    }

    /**
     * @param willProperties 5.0 will properties, null for none.
     * @param willTopic      null for no will.
     * @param willPayload    the will message; null is written as empty.
     * @return this.
     */
    public ConnectFields will(
        final Properties willProperties, final String willTopic, final byte[] willPayload, final int willQos,
        final boolean willRetain)
    {
        this.willProperties = willProperties;
        this.willTopic = willTopic;
        this.willPayload = willPayload;
        this.willQos = willQos;
        this.willRetain = willRetain;
        return this;
    }

    /**
     * @param username null for none.
     * @param password null for none.
     * @return this.
     */
    public ConnectFields credentials(final String username, final byte[] password)
    {
        this.username = username;
        this.password = password;
        return this;
    }
}
