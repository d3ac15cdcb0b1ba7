package dev.tern.transport.http;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private final List<Context> contexts = new CopyOnWriteArrayList<>();
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
        final Context context = new Context(path, handler);
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
        final int end = indexOf(in, HEAD_END, Math.max(0, in.position() - read - (HEAD_END.length - 1)));
        if (end < 0)
        {
            if (!in.hasRemaining())
            {
                reject(connection, 431, "request head too large\n");
            }
            return;
        }
        final int headLength = end + HEAD_END.length;
        final Request request;
        try
        {
            request = Request.parse(new String(in.array(), 0, end, StandardCharsets.ISO_8859_1));
        }
        catch (final BadRequest ex)
        {
            reject(connection, ex.status, ex.getMessage() + "\n");
            return;
        }
        if (request.contentLength > MAX_BODY_BYTES)
        {
            reject(connection, 413, "request body too large\n");
            return;
        }
        connection.request = request;
        connection.bodyLeft = request.contentLength - (in.position() - headLength);
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
        final Exchange exchange = new Exchange(null, connection, connection.request);
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
        final Request request = connection.request;
        final Context context = contextFor(request.uri.getPath());
        final Exchange exchange = new Exchange(context, connection, request);
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
            LOG.warn("dashboard: {} {} failed", request.method, request.uri, ex);
            exchange.failed();
        }
        connection.response = exchange.encode();
        answered.add(connection);
        selector.wakeup();
    }

    private static boolean authenticated(final Context context, final Exchange exchange)
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

    private Context contextFor(final String path)
    {
        Context best = null;
        for (final Context context : contexts)
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

    private static int indexOf(final ByteBuffer buffer, final byte[] pattern, final int from)
    {
        final byte[] bytes = buffer.array();
        for (int i = from, last = buffer.position() - pattern.length; i <= last; i++)
        {
            int j = 0;
            while (j < pattern.length && bytes[i + j] == pattern[j])
            {
                j++;
            }
            if (j == pattern.length)
            {
                return i;
            }
        }
        return -1;
    }

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

    static String reason(final int status)
    {
        return switch (status)
        {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    /** One client socket; its fields belong to the selector thread, but for {@link #response} (set by a worker). */
    private static final class Connection
    {
        final SocketChannel channel;
        SelectionKey key;
        State state = State.HEAD;
        long deadlineNs;
        ByteBuffer in = ByteBuffer.allocate(MAX_HEAD_BYTES);
        Request request;
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

    /** A request the selector thread refuses, with its status. */
    private static final class BadRequest extends Exception
    {
        private static final long serialVersionUID = 1L;

        final int status;

        BadRequest(final int status, final String message)
        {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** A parsed request head. */
    private record Request(String method, URI uri, String protocol, Headers headers, long contentLength)
    {
        static Request parse(final String head) throws BadRequest
        {
            final String[] lines = head.split("\r\n", -1);
            final String[] parts = lines[0].split(" ", -1);
            if (parts.length != 3 || !isToken(parts[0]) || !parts[1].startsWith("/"))
            {
                throw new BadRequest(400, "bad request line");
            }
            if (!"HTTP/1.1".equals(parts[2]) && !"HTTP/1.0".equals(parts[2]))
            {
                throw new BadRequest(505, "HTTP/1.1 only");
            }
            final URI uri;
            try
            {
                uri = new URI(parts[1]);
            }
            catch (final URISyntaxException ex)
            {
                throw new BadRequest(400, "bad request target");
            }
            final Headers headers = new Headers();
            for (int i = 1; i < lines.length; i++)
            {
                final String line = lines[i];
                final int colon = line.indexOf(':');
                if (colon <= 0 || !isToken(line.substring(0, colon)))
                {
                    throw new BadRequest(400, "bad header field"); // also obsolete line folding
                }
                headers.add(line.substring(0, colon), line.substring(colon + 1).strip());
            }
            if (headers.containsKey("Transfer-Encoding"))
            {
                throw new BadRequest(501, "transfer codings are not supported");
            }
            long contentLength = 0;
            final List<String> lengths = headers.get("Content-Length");
            if (lengths != null)
            {
                try
                {
                    contentLength = Long.parseLong(lengths.get(0));
                }
                catch (final NumberFormatException ex)
                {
                    contentLength = -1;
                }
                if (contentLength < 0 || lengths.stream().anyMatch(l -> !l.equals(lengths.get(0))))
                {
                    throw new BadRequest(400, "bad Content-Length");
                }
            }
            return new Request(parts[0], uri, parts[2], headers, contentLength);
        }

        private static boolean isToken(final String text)
        {
            if (text.isEmpty())
            {
                return false;
            }
            for (int i = 0; i < text.length(); i++)
            {
                final char c = text.charAt(i);
                if (c <= 0x20 || c >= 0x7F || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0)
                {
                    return false;
                }
            }
            return true;
        }
    }

    /** A context: a path prefix, its handler and its authenticator. */
    private static final class Context extends HttpContext
    {
        private final String path;
        private HttpHandler handler;
        private volatile Authenticator authenticator;
        private final Map<String, Object> attributes = new HashMap<>();

        Context(final String path, final HttpHandler handler)
        {
            this.path = path;
            this.handler = handler;
        }

        @Override
        public HttpHandler getHandler()
        {
            return handler;
        }

        @Override
        public void setHandler(final HttpHandler handler)
        {
            this.handler = handler;
        }

        @Override
        public String getPath()
        {
            return path;
        }

        @Override
        public HttpServer getServer()
        {
            return null; // not a JDK server
        }

        @Override
        public Map<String, Object> getAttributes()
        {
            return attributes;
        }

        @Override
        public List<Filter> getFilters()
        {
            return List.of();
        }

        @Override
        public Authenticator setAuthenticator(final Authenticator authenticator)
        {
            final Authenticator previous = this.authenticator;
            this.authenticator = authenticator;
            return previous;
        }

        @Override
        public Authenticator getAuthenticator()
        {
            return authenticator;
        }
    }

    /** One request and its buffered response, handled on one worker thread. */
    private static final class Exchange extends HttpExchange
    {
        private final Context context;
        private final Connection connection;
        private final Request request;
        private final Headers responseHeaders = new Headers();
        private final Map<String, Object> attributes = new HashMap<>();
        private InputStream requestBody = InputStream.nullInputStream();
        private OutputStream responseBody = new ByteArrayOutputStream();
        private final ByteArrayOutputStream body = (ByteArrayOutputStream)responseBody;
        private int status = -1;
        private boolean noBody;
        HttpPrincipal principal;

        Exchange(final Context context, final Connection connection, final Request request)
        {
            this.context = context;
            this.connection = connection;
            this.request = request;
        }

        void respond(final int code, final byte[] bytes)
        {
            status = code;
            body.reset();
            body.writeBytes(bytes);
        }

        void failed()
        {
            responseHeaders.clear();
            responseHeaders.set("Content-Type", "text/plain; charset=utf-8");
            respond(500, "internal error\n".getBytes(StandardCharsets.UTF_8));
        }

        /** @return the whole response: status line, header fields, body. */
        ByteBuffer encode()
        {
            if (status < 0)
            {
                failed(); // the handler never answered
            }
            final boolean head = request != null && "HEAD".equals(request.method);
            final byte[] payload = noBody || head ? new byte[0] : body.toByteArray();
            final StringBuilder text = new StringBuilder(256)
                .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            for (final Map.Entry<String, List<String>> field : responseHeaders.entrySet())
            {
                for (final String value : field.getValue())
                {
                    if (value.indexOf('\r') < 0 && value.indexOf('\n') < 0)
                    {
                        text.append(field.getKey()).append(": ").append(value).append("\r\n");
                    }
                }
            }
            text.append("Content-Length: ").append(payload.length).append("\r\nConnection: close\r\n\r\n");
            final byte[] start = text.toString().getBytes(StandardCharsets.ISO_8859_1);
            return ByteBuffer.allocate(start.length + payload.length).put(start).put(payload).flip();
        }

        @Override
        public Headers getRequestHeaders()
        {
            return request.headers;
        }

        @Override
        public Headers getResponseHeaders()
        {
            return responseHeaders;
        }

        @Override
        public URI getRequestURI()
        {
            return request.uri;
        }

        @Override
        public String getRequestMethod()
        {
            return request.method;
        }

        @Override
        public HttpContext getHttpContext()
        {
            return context;
        }

        @Override
        public void close()
        {
            // the response is written once the handler returns
        }

        @Override
        public InputStream getRequestBody()
        {
            return requestBody; // the body was read and discarded
        }

        @Override
        public OutputStream getResponseBody()
        {
            return responseBody;
        }

        @Override
        public void sendResponseHeaders(final int code, final long length) throws IOException
        {
            if (status >= 0)
            {
                throw new IOException("headers already sent");
            }
            status = code;
            noBody = length < 0;
        }

        @Override
        public InetSocketAddress getRemoteAddress()
        {
            try
            {
                return (InetSocketAddress)connection.channel.getRemoteAddress();
            }
            catch (final IOException ex)
            {
                return null;
            }
        }

        @Override
        public int getResponseCode()
        {
            return status;
        }

        @Override
        public InetSocketAddress getLocalAddress()
        {
            try
            {
                return (InetSocketAddress)connection.channel.getLocalAddress();
            }
            catch (final IOException ex)
            {
                return null;
            }
        }

        @Override
        public String getProtocol()
        {
            return request.protocol;
        }

        @Override
        public Object getAttribute(final String name)
        {
            return attributes.get(name);
        }

        @Override
        public void setAttribute(final String name, final Object value)
        {
            attributes.put(name, value);
        }

        @Override
        public void setStreams(final InputStream in, final OutputStream out)
        {
            if (in != null)
            {
                requestBody = in;
            }
            if (out != null)
            {
                responseBody = out;
            }
        }

        @Override
        public HttpPrincipal getPrincipal()
        {
            return principal;
        }
    }
}
