package dev.tern.broker;

/**
 * Who a connected client is, as given to authorisation checks and hooks.
 *
 * @param clientId      the client identifier (assigned by the broker when the client sent an empty one).
 * @param username      user name from CONNECT; without one, the subject CN of the client's verified TLS certificate;
 *                      else {@code null}.
 * @param remoteAddress the peer address as text, e.g. {@code /127.0.0.1:50312}, followed by {@code ;cn=<CN>} when
 *                      the client presented a verified TLS certificate.
 * @param listener      the name of the listener the client connected through.
 * @param protocolLevel 3 (MQTT 3.1), 4 (3.1.1) or 5 (5.0).
 */
public record ClientInfo(String clientId, String username, String remoteAddress, String listener, int protocolLevel)
{
}
