package dev.tern.transport.nio;

/**
 * How bytes move between a connection's socket and its {@link MqttFramer}: straight through ({@link PlainPath}), or
 * through a {@link ConnectionLayers} chain ({@link LayeredPath}). The agent's duty cycle calls only these, so it does
 * not branch on the kind of connection. Implementations are owned by one agent thread.
 */
interface ConnectionPath
{
    /** The socket is readable and {@link NioConnection#readAllowed()}: read, pass up and frame. */
    void read(NioConnection connection);

    /**
     * Continue moving bytes up for a connection whose reading was paused (ring full, its share of the cycle used, or
     * its MSG_OPENED just left the backlog).
     *
     * @return true if bytes are still left waiting: the agent keeps reading paused and calls again next cycle.
     */
    boolean resume(NioConnection connection);

    /** Write pending output once; registers OP_WRITE if the socket took less than all of it. */
    void write(NioConnection connection);

    /** The pipeline asked to close: stop reading, flush what is pending, then close. */
    void requestClose(NioConnection connection);
}
