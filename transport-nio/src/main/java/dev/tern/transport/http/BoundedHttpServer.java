package dev.tern.transport.http;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP/1.1 server that a slow or silent client cannot hang. One selector thread does all the socket I/O: it
 * reads each request head under a deadline and a size cap, and writes each response, never blocking on a client.
 * Only a complete request reaches a worker thread, which runs the context's authenticator and handler against a
 * buffered {@link HttpExchange}; the response goes back to the selector thread to be written. One request per
 * connection: every response says {@code Connection: close}.
 * <p>
 * Limits: the request head (request line and header fields) must arrive within the head timeout and fit in
 * {@link #MAX_HEAD_BYTES} (408 and 431 otherwise); a body is read and discarded up to {@link #MAX_BODY_BYTES} (413
 * beyond); at most {@link #MAX_CONNECTIONS} connections are open, and a new one closes the oldest that is still
 * sending its request, so idle sockets cannot crowd out a health check.
 */
final class BoundedHttpServer
{
    /** Default time for a client to send its whole request head, from its connection. */
    static final long DEFAULT_HEAD_TIMEOUT_MS = 5_000;
    static final int MAX_HEAD_BYTES = 8 * 1024;
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final int MAX_CONNECTIONS = 128;
    /** Time to write a response, and then to see the client close, before the socket is closed anyway. */
    static final long RESPONSE_TIMEOUT_MS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(BoundedHttpServer.class);
    private static final long TICK_MS = 250;
    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

    private final ServerSocketChannel server;
    private final Selector selector;
    private final ExecutorService workers;
    private final long headTimeoutNs;
    private final List<HandlerContext> contexts = new CopyOnWriteArrayList<>();
    /** Responses made by workers, to be written by the selector thread. */
    private final ConcurrentLinkedQueue<Connection> answered = new ConcurrentLinkedQueue<>();
    /** Open connections in accept order; selector thread only. */
    private final ArrayList<Connection> connections = new ArrayList<>();
    private final ByteBuffer discard = ByteBuffer.allocate(4096);
    private final Thread thread;
    private volatile boolean running = true;

    private enum State
    {
        HEAD, BODY, HANDLING, WRITING, DRAINING
    }

    /**
     * Bind at once; serve after {@link #start()}.
     *
     * @throws IOException if the address cannot be bound.
     */
    BoundedHttpServer(
        final InetSocketAddress address, final int backlog, final ExecutorService workers, final long headTimeoutMs)
        throws IOException
    {
        this.workers = workers;
        this.headTimeoutNs = TimeUnit.MILLISECONDS.toNanos(headTimeoutMs);
        server = ServerSocketChannel.open();
        try
        {
            server.bind(address, backlog);
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        }
        catch (final IOException ex)
        {
            server.close();
            throw ex;
        }
        thread = new Thread(this::run, "tern-dashboard-io");
        thread.setDaemon(true);
    }

    /** Serve requests whose path starts with {@code path} (the longest matching context wins). */
    HttpContext createContext(final String path, final HttpHandler handler)
    {
        final HandlerContext context = new HandlerContext(path, handler);
        contexts.add(context);
        return context;
    }

    void start()
    {
        thread.start();
    }

    InetSocketAddress address()
    {
        return (InetSocketAddress)server.socket().getLocalSocketAddress();
    }

    /** Stop at once: open connections are cut off. */
    void stop()
    {
        running = false;
        selector.wakeup();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
        {
            LOG.warn("dashboard I/O thread did not stop");
        }
    }

    // ------------------------------------------------------------------ selector thread

    private void run()
    {
        try
        {
            while (running)
            {
                selector.select(this::onSelected, TICK_MS);
                Connection connection;
                while ((connection = answered.poll()) != null)
                {
                    if (connection.channel.isOpen())
                    {
                        startWriting(connection, connection.response);
                    }
                }
                expire(System.nanoTime());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.error("dashboard I/O thread failed", ex);
        }
        finally
        {
            for (final Connection connection : connections)
            {
                closeQuietly(connection.channel);
            }
            connections.clear();
            closeQuietly(server);
            try
            {
                selector.close();
            }
            catch (final IOException ex)
            {
                LOG.debug("selector close failed: {}", ex.toString());
            }
        }
    }

    private void onSelected(final SelectionKey key)
    {
        if (!key.isValid())
        {
            return;
        }
        if (key.attachment() == null)
        {
            accept();
            return;
        }
        final Connection connection = (Connection)key.attachment();
        try
        {
            if (key.isReadable())
            {
                onReadable(connection);
            }
            if (key.isValid() && key.isWritable())
            {
                write(connection);
            }
        }
        catch (final IOException ex)
        {
            close(connection);
        }
    }

    private void accept()
    {
        SocketChannel channel;
        try
        {
            while ((channel = server.accept()) != null)
            {
                if (connections.size() >= MAX_CONNECTIONS && !evictOldestRequest())
                {
                    closeQuietly(channel); // every slot is busy with a request being answered
                    continue;
                }
                channel.configureBlocking(false);
                final Connection connection = new Connection(channel, System.nanoTime() + headTimeoutNs);
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
                connections.add(connection);
            }
        }
        catch (final IOException ex)
        {
            LOG.debug("dashboard accept failed: {}", ex.toString());
        }
    }

    /** @return whether a connection still sending its request (the longest-waiting one) was closed to make room. */
    private boolean evictOldestRequest()
    {
        for (final Connection connection : connections)
        {
            if (connection.state == State.HEAD || connection.state == State.BODY)
            {
                close(connection);
                return true;
            }
        }
        return false;
    }

    private void onReadable(final Connection connection) throws IOException
    {
        switch (connection.state)
        {
            case HEAD -> readHead(connection);
            case BODY -> readBody(connection);
            case DRAINING -> drain(connection);
            default -> connection.key.interestOps(connection.key.interestOps() & ~SelectionKey.OP_READ);
        }
    }

    private void readHead(final Connection connection) throws IOException
    {
        final ByteBuffer in = connection.in;
        final int read = connection.channel.read(in);
        if (read < 0)
        {
            close(connection);
            return;
        }
        final int end =
            HttpRequestHead.indexOf(in, HEAD_END, Math.max(0, in.position() - read - (HEAD_END.length - 1)));
        if (end < 0)
        {
            if (!in.hasRemaining())
            {
                reject(connection, 431, "request head too large\n");
            }
            return;
        }
        final int headLength = end + HEAD_END.length;
        final HttpRequestHead request;
        try
        {
            request = HttpRequestHead.parse(new String(in.array(), 0, end, StandardCharsets.ISO_8859_1));
        }
        catch (final HttpRequestHead.BadRequest ex)
        {
            reject(connection, ex.status, ex.getMessage() + "\n");
            return;
        }
        if (request.contentLength() > MAX_BODY_BYTES)
        {
            reject(connection, 413, "request body too large\n");
            return;
        }
        connection.request = request;
        connection.bodyLeft = request.contentLength() - (in.position() - headLength);
        connection.in = null;
        if (connection.bodyLeft > 0)
        {
            connection.state = State.BODY;
            return;
        }
        dispatch(connection);
    }

    private void readBody(final Connection connection) throws IOException
    {
        discard.clear().limit((int)Math.min(discard.capacity(), connection.bodyLeft));
        final int read = connection.channel.read(discard);
        if (read < 0)
        {
            close(connection);
            return;
        }
        connection.bodyLeft -= read;
        if (connection.bodyLeft <= 0)
        {
            dispatch(connection);
        }
    }

    private void dispatch(final Connection connection)
    {
        connection.state = State.HANDLING;
        connection.key.interestOps(0);
        try
        {
            workers.execute(() -> handle(connection));
        }
        catch (final RejectedExecutionException ex)
        {
            reject(connection, 503, "busy\n");
        }
    }

    /** A response from the selector thread, then close: the request was not acceptable. */
    private void reject(final Connection connection, final int status, final String text)
    {
        final BufferedExchange exchange = new BufferedExchange(null, connection.channel, connection.request);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.respond(status, text.getBytes(StandardCharsets.UTF_8));
        startWriting(connection, exchange.encode());
    }

    private void startWriting(final Connection connection, final ByteBuffer response)
    {
        connection.state = State.WRITING;
        connection.out = response;
        connection.deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESPONSE_TIMEOUT_MS);
        try
        {
            write(connection);
        }
        catch (final IOException ex)
        {
            close(connection);
        }
    }

    private void write(final Connection connection) throws IOException
    {
        if (connection.state != State.WRITING)
        {
            return;
        }
        connection.channel.write(connection.out);
        if (connection.out.hasRemaining())
        {
            connection.key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        // all sent: end our side and wait (briefly) for the client to close, so that unread input left in our
        // socket does not turn the close into a reset that could destroy the response before it is read
        connection.out = null;
        connection.channel.shutdownOutput();
        connection.state = State.DRAINING;
        connection.key.interestOps(SelectionKey.OP_READ);
    }

    private void drain(final Connection connection) throws IOException
    {
        discard.clear();
        if (connection.channel.read(discard) < 0)
        {
            close(connection);
        }
    }

    private void expire(final long nowNs)
    {
        for (int i = connections.size() - 1; i >= 0; i--)
        {
            final Connection connection = connections.get(i);
            if (connection.state != State.HANDLING && nowNs - connection.deadlineNs >= 0)
            {
                if (connection.state == State.HEAD || connection.state == State.BODY)
                {
                    // a client that has not finished its request in time gets 408 (if it reads) and the close
                    reject(connection, 408, "request not received in time\n");
                    connection.deadlineNs = nowNs + TimeUnit.SECONDS.toNanos(1);
                }
                else
                {
                    close(connection);
                }
            }
        }
    }

    private void close(final Connection connection)
    {
        if (connection.key != null)
        {
            connection.key.cancel();
        }
        closeQuietly(connection.channel);
        connections.remove(connection);
    }

    // ------------------------------------------------------------------ worker threads

    private void handle(final Connection connection)
    {
        final HttpRequestHead request = connection.request;
        final HandlerContext context = contextFor(request.uri().getPath());
        final BufferedExchange exchange = new BufferedExchange(context, connection.channel, request);
        try
        {
            if (context == null)
            {
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.respond(404, "not found\n".getBytes(StandardCharsets.UTF_8));
            }
            else if (authenticated(context, exchange))
            {
                context.getHandler().handle(exchange);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("dashboard: {} {} failed", request.method(), request.uri(), ex);
            exchange.failed();
        }
        connection.response = exchange.encode();
        answered.add(connection);
        selector.wakeup();
    }

    private static boolean authenticated(final HandlerContext context, final BufferedExchange exchange)
    {
        final Authenticator authenticator = context.getAuthenticator();
        if (authenticator == null)
        {
            return true;
        }
        final Authenticator.Result result = authenticator.authenticate(exchange);
        if (result instanceof Authenticator.Success success)
        {
            exchange.principal = success.getPrincipal();
            return true;
        }
        final int status = result instanceof Authenticator.Retry retry ? retry.getResponseCode() :
            ((Authenticator.Failure)result).getResponseCode();
        exchange.respond(status, new byte[0]);
        return false;
    }

    private HandlerContext contextFor(final String path)
    {
        HandlerContext best = null;
        for (final HandlerContext context : contexts)
        {
            if (path != null && path.startsWith(context.getPath()) &&
                (best == null || context.getPath().length() > best.getPath().length()))
            {
                best = context;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------ helpers

    private static void closeQuietly(final java.nio.channels.Channel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("close failed: {}", ex.toString());
        }
    }

    /** One client socket; its fields belong to the selector thread, but for {@link #response} (set by a worker). */
    private static final class Connection
    {
        final SocketChannel channel;
        SelectionKey key;
        State state = State.HEAD;
        long deadlineNs;
        ByteBuffer in = ByteBuffer.allocate(MAX_HEAD_BYTES);
        HttpRequestHead request;
        long bodyLeft;
        ByteBuffer out;
        /** Published to the selector thread through {@link #answered}. */
        ByteBuffer response;

        Connection(final SocketChannel channel, final long deadlineNs)
        {
            this.channel = channel;
            this.deadlineNs = deadlineNs;
        }
    }
}
