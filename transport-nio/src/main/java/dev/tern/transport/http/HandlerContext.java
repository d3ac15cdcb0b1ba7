package dev.tern.transport.http;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A context of the {@link BoundedHttpServer}: a path prefix, its handler and its authenticator. */
final class HandlerContext extends HttpContext
{
    private final String path;
    private HttpHandler handler;
    private volatile Authenticator authenticator;
    private final Map<String, Object> attributes = new HashMap<>();

    HandlerContext(final String path, final HttpHandler handler)
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
