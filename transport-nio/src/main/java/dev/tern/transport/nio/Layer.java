package dev.tern.transport.nio;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLException;

/**
 * One byte transform in a connection's {@link ConnectionLayers} chain, between the socket (below) and the MQTT framer
 * (above), in the manner of a pipeline handler: inbound bytes pass up through {@link #decode}, outbound bytes down
 * through {@link #encode}. A layer owns the buffer it encodes into ({@link #encoded}) and queues its own replies there
 * (TLS handshake records, the WebSocket 101 response, pongs); the chain owns the inbound buffers (the socket read
 * buffer and the staging buffers between layers). Adding a transport transform is one more implementation in the
 * chain, with no change to the agent. Owned by one agent thread.
 */
interface Layer
{
    /** {@link #decode} outcome: keep going. */
    int OK = 0;
    /**
     * {@link #decode} outcome: the peer ended the stream here (TLS close_notify); what came before still goes up. A
     * layer reports it again on every later decode, so it also {@link #decodesWithoutInput()}.
     */
    int ENDED = 1;
    /** {@link #decode} outcome: the peer closed (WS close frame, or the end of a stream below). */
    int PEER_CLOSED = 2;
    /** {@link #decode} outcome: the peer broke the protocol or sent a bad upgrade request. */
    int PROTOCOL_ERROR = 3;

    /** @return capacity of the socket read buffer when this layer is the lowest. */
    int readCapacity();

    /**
     * @return room the buffer above must offer for {@link #decode} to make progress (a whole TLS record), or 0 if the
     *         layer streams into any room; a layer with a room need gets a staging buffer of that size above it.
     */
    int decodeRoom();

    /** @return whether {@link #decode} has work even without new input (a handshake to continue). */
    boolean decodesWithoutInput();

    /**
     * Move bytes from {@code below} (read mode) into {@code above} (write mode), as far as room allows; replies are
     * queued in {@link #encoded}.
     *
     * @return {@link #OK}, {@link #ENDED}, {@link #PEER_CLOSED} or {@link #PROTOCOL_ERROR}.
     * @throws SSLException when a TLS handshake or record fails.
     */
    int decode(ByteBuffer below, ByteBuffer above) throws SSLException;

    /** @return whether the last {@link #decode} changed this layer's own state (handshake step, queued output). */
    boolean advanced();

    /**
     * Move output from {@code above} (read mode) into {@link #encoded}, as far as room allows.
     *
     * @return bytes of {@code above} consumed.
     */
    int encode(ByteBuffer above) throws SSLException;

    /** @return output waiting for the layer below or the socket (write mode), or null when none is held. */
    ByteBuffer encoded();

    /** @return whether this layer can carry output now (false before a TLS handshake is done or after it closed). */
    boolean carriesOutput();

    /** @return whether nothing can be sent through this layer any more: output above it is dropped. */
    boolean outputClosed();

    /** Drop the output held in {@link #encoded}: a layer below can no longer carry it. */
    void dropEncoded();

    /**
     * Queue this layer's end of stream (WS close frame, TLS close_notify) once all output above has been encoded. May
     * be called again until it returns true, so it must be idempotent.
     *
     * @param abovePending whether the layer above still holds output for this one.
     * @param belowCarries whether every layer below can still carry output.
     * @return whether the end is queued.
     */
    boolean encodeGoodbye(boolean abovePending, boolean belowCarries) throws SSLException;

    /** @return whether the layer's handshake (if any) has finished; stays true once it has. */
    boolean secured();

    /** @return whether a handshake task runs off the agent thread: decoding resumes when it ends. */
    boolean awaitingTask();

    /** @return whether the layer wants to write handshake output it had no room for. */
    boolean wantsWrap();

    /** @return the verified peer's certificate CN, or null. */
    String peerCommonName();

    /** @return why the layer refused the connection, for the log, or null. */
    String failure();

    /** Give {@link #encoded} back to the pool if it is empty. */
    void releaseEmpty();

    /** Give every buffer back; the connection is closed. */
    void release();
}
