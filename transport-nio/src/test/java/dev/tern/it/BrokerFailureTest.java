package dev.tern.it;

import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerFailureException;
import dev.tern.server.TernBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker thread that dies ends the embedded broker: it closes itself (listeners and client connections) and tells
 * the host through the builder's callback and {@link TernBroker#termination()}, instead of running on without it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BrokerFailureTest
{
    /** An Error a test throws on purpose, standing for an OutOfMemoryError on the thread. */
    static final class InjectedFault extends Error
    {
        private static final long serialVersionUID = 1L;

        InjectedFault()
        {
            super("injected fault");
        }
    }

    /** The routing thread is {@code tern-route} in the compact layout and the I/O agent's in the inline one. */
    @ParameterizedTest
    @CsvSource({"COMPACT, tern-route", "INLINE, tern-io-0"})
    void shouldCloseAndTellTheHostWhenTheRouteThreadDies(final BrokerConfig.ThreadLayout layout,
        final String routeThread) throws Exception
    {
        final CompletableFuture<BrokerFailureException> told = new CompletableFuture<>();
        final TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(ItSupport.testConfig().threadLayout(layout)).onFailure(told::complete).start();
        try
        {
            final int port = broker.port();
            broker.subscribe("fault/route", (topic, payload, qos, retain) ->
            {
                throw new InjectedFault();
            });
            try (RawClient client = RawClient.connect(port))
            {
                client.connectAndExpectAccepted(ItSupport.clientId("fail"), true, false);
                // an inline subscriber runs on the route thread: its Error kills that thread
                broker.publish("fault/route", "x".getBytes(StandardCharsets.UTF_8), 0, false);

                final BrokerFailureException failure = told.get(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
                assertEquals(routeThread, failure.threadName());
                assertInstanceOf(InjectedFault.class, failure.getCause());
                assertTrue(failure.getMessage().startsWith("thread " + routeThread + " died: "), failure.getMessage());

                final ExecutionException ended = assertThrows(ExecutionException.class,
                    () -> broker.termination().get(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS));
                assertEquals(failure, ended.getCause());
                // closed: the client is disconnected and the listener refuses new sockets
                client.assertClosed(ItSupport.WAIT_MS);
                assertThrows(ConnectException.class, () -> openSocket(port));
            }
        }
        finally
        {
            broker.close();
        }
    }

    @Test
    void shouldCompleteTerminationNormallyOnClose() throws Exception
    {
        final CompletableFuture<BrokerFailureException> told = new CompletableFuture<>();
        final TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(ItSupport.testConfig()).onFailure(told::complete).start();
        final CompletableFuture<Void> termination = broker.termination();
        assertFalse(termination.isDone());
        broker.close();
        termination.get(ItSupport.WAIT_MS, TimeUnit.MILLISECONDS);
        assertFalse(told.isDone(), "a normal close is no failure");
    }

    private static void openSocket(final int port) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        }
    }
}
