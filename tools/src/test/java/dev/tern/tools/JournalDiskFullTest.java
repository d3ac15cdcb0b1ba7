package dev.tern.tools;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import dev.tern.broker.BrokerConfig;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.server.TernBroker;
import dev.tern.transport.http.DashboardServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A journal on a real, small tmpfs that fills up while QoS 1 messages for an offline persistent subscriber pour in:
 * no message may be acknowledged that is not stored. The broker must refuse QoS 1 publishes while the journal
 * cannot write (3.1.1: disconnect without PUBACK; 5.0: PUBACK 0x80), say so on {@code /healthz}, and take
 * acknowledgements up again by itself once there is space. After a restart with space, the subscriber must receive
 * every message that was acknowledged. Needs root (to mount); skipped elsewhere.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class JournalDiskFullTest
{
    private static final int MESSAGES = 40_000;

    @TempDir
    Path dir;

    private final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    private final Set<Integer> delivered = ConcurrentHashMap.newKeySet();

    @Test
    void shouldAcknowledgeOnlyWhatTheJournalStoredWhenTheDiskIsFull() throws Exception
    {
        assumeTrue(Tmpfs.available(), Tmpfs.SKIP_REASON);
        final Path mount = dir.resolve("tmpfs");
        try (Tmpfs tmpfs = Tmpfs.mount(mount, "2m"))
        {
            final Path journal = mount.resolve("journal");
            TernBroker broker = start(journal);
            final int accepted3;
            final int accepted5;
            final int failedHealth;
            final long failedCounter;
            final boolean recovered;
            final int after;
            DashboardServer dashboard = null;
            try
            {
                dashboard = new DashboardServer(broker.counters(), "127.0.0.1", 0, null).start();
                final int port = broker.port();
                subscribe(port); // persistent, then offline: every message is queued and journaled for it

                accepted3 = publish3(port, 0, MESSAGES);
                accepted5 = publish5(port, MESSAGES, 1_000);
                failedHealth = health(dashboard.port());
                final var failed = broker.counters().all().get("journal.failed");
                failedCounter = failed == null ? -1 : failed.get();

                tmpfs.resize("64m"); // space again: the broker must take acknowledgements up by itself
                final DashboardServer d = dashboard;
                recovered = await(() -> health(d.port()) == 200, 30);
                after = publish5(port, MESSAGES + 1_000, 100);
            }
            finally
            {
                if (dashboard != null)
                {
                    dashboard.close();
                }
                broker.close();
            }

            System.out.printf("JournalDiskFullTest: 3.1.1 %d of %d acknowledged, 5.0 %d of %d acknowledged, " +
                "/healthz %d, journal.failed %d, recovered %b, after recovery %d of 100 acknowledged%n", accepted3,
                MESSAGES, accepted5, 1_000, failedHealth, failedCounter, recovered, after);
            broker = start(journal);
            try
            {
                collect(broker.port());
            }
            finally
            {
                broker.close();
            }
            assertTrue(accepted3 < MESSAGES, "all " + MESSAGES + " acknowledged although 2 MiB cannot hold them");
            assertEquals(0, accepted5, "5.0 publishes acknowledged while the journal had failed");
            assertEquals(503, failedHealth);
            assertEquals(1, failedCounter);
            assertTrue(recovered, "/healthz still failing 30 s after space came back");
            assertEquals(100, after, "publishes refused after the journal recovered");
        }
        final Set<Integer> lost = new TreeSet<>(acknowledged);
        lost.removeAll(delivered);
        System.out.printf("JournalDiskFullTest: %d acknowledged, %d delivered after restart, %d acknowledged and " +
            "lost%n", acknowledged.size(), delivered.size(), lost.size());
        assertTrue(lost.isEmpty(), lost.size() + " acknowledged messages lost, e.g. " +
            lost.stream().limit(10).toList());
    }

    private static TernBroker start(final Path journal)
    {
        return TernBroker.builder()
            .tcp("127.0.0.1", 0)
            .allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).maxQueuedMessages(1_000_000).maxQueuedBytes(0))
            .storage(new ChronicleStorage(JournalSettings.of(journal)))
            .start();
    }

    private static void subscribe(final int port)
    {
        final Mqtt3BlockingClient sub = MqttClient.builder().useMqttVersion3().identifier("full-sub")
            .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        sub.connectWith().cleanSession(false).send();
        sub.subscribeWith().topicFilter("full/#").qos(MqttQos.AT_LEAST_ONCE).send();
        sub.disconnect();
    }

    /** QoS 1 with a 3.1.1 client; a connection the broker closes is opened again and publishing goes on. */
    private int publish3(final int port, final int first, final int count) throws Exception
    {
        final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier("full-pub3")
            .serverHost("127.0.0.1").serverPort(port).buildAsync();
        final Semaphore window = new Semaphore(64);
        final int[] accepted = new int[1];
        for (int i = first; i < first + count; i++)
        {
            if (!client.getState().isConnected())
            {
                if (window.tryAcquire(64, 10, TimeUnit.SECONDS)) // flows of the closed connection have ended
                {
                    window.release(64);
                }
                if (!connect(() -> client.connectWith().cleanSession(true).send().get(10, TimeUnit.SECONDS)))
                {
                    break;
                }
            }
            if (!window.tryAcquire(10, TimeUnit.SECONDS))
            {
                break; // the broker stopped answering
            }
            final int id = i;
            client.publishWith().topic("full/t").qos(MqttQos.AT_LEAST_ONCE).payload(payload(id)).send()
                .whenComplete((ack, failure) ->
                {
                    if (failure == null)
                    {
                        acknowledged.add(id);
                        synchronized (accepted)
                        {
                            accepted[0]++;
                        }
                    }
                    window.release();
                });
        }
        window.tryAcquire(64, 10, TimeUnit.SECONDS);
        if (client.getState().isConnected())
        {
            connect(() -> client.disconnect().get(10, TimeUnit.SECONDS));
        }
        synchronized (accepted)
        {
            return accepted[0];
        }
    }

    /** QoS 1 with a 5.0 client; acknowledged means a PUBACK with a success code. */
    private int publish5(final int port, final int first, final int count) throws Exception
    {
        final Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier("full-pub5")
            .serverHost("127.0.0.1").serverPort(port).buildAsync();
        if (!connect(() -> client.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS)))
        {
            return 0;
        }
        final Semaphore window = new Semaphore(64);
        final int[] accepted = new int[1];
        for (int i = first; i < first + count; i++)
        {
            if (!window.tryAcquire(10, TimeUnit.SECONDS))
            {
                break;
            }
            final int id = i;
            client.publishWith().topic("full/t").qos(MqttQos.AT_LEAST_ONCE).payload(payload(id)).send()
                .whenComplete((result, failure) ->
                {
                    if (failure == null && result.getError().isEmpty())
                    {
                        acknowledged.add(id);
                        synchronized (accepted)
                        {
                            accepted[0]++;
                        }
                    }
                    window.release();
                });
        }
        window.tryAcquire(64, 10, TimeUnit.SECONDS);
        connect(() -> client.disconnect().get(10, TimeUnit.SECONDS));
        synchronized (accepted)
        {
            return accepted[0];
        }
    }

    /** The persistent subscriber takes what was stored for it until nothing more comes. */
    private void collect(final int port) throws Exception
    {
        final Mqtt3AsyncClient sub = MqttClient.builder().useMqttVersion3().identifier("full-sub")
            .serverHost("127.0.0.1").serverPort(port).buildAsync();
        sub.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL, publish ->
            delivered.add(Integer.parseInt(new String(publish.getPayloadAsBytes(), StandardCharsets.US_ASCII)
                .trim())));
        if (!connect(() -> sub.connectWith().cleanSession(false).send().get(10, TimeUnit.SECONDS)))
        {
            return;
        }
        int last = -1;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadlineNs < 0 && (last != delivered.size() || !delivered.containsAll(acknowledged)))
        {
            last = delivered.size();
            if (delivered.containsAll(acknowledged))
            {
                Thread.sleep(500); // and a little more, to count what was stored beyond that
                if (last == delivered.size())
                {
                    break;
                }
            }
            Thread.sleep(200);
        }
        connect(() -> sub.disconnect().get(10, TimeUnit.SECONDS));
    }

    private static byte[] payload(final int id)
    {
        return String.format("%-24d", id).getBytes(StandardCharsets.US_ASCII);
    }

    private static int health(final int port)
    {
        try
        {
            final HttpURLConnection http = (HttpURLConnection)new URL("http://127.0.0.1:" + port + "/healthz")
                .openConnection();
            http.setConnectTimeout(5_000);
            http.setReadTimeout(5_000);
            try
            {
                return http.getResponseCode();
            }
            finally
            {
                http.disconnect();
            }
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static boolean await(final BooleanSupplier condition, final int seconds) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** Runs a client step that waits for the broker; false if it failed or timed out. */
    private static boolean connect(final Step step)
    {
        try
        {
            step.run();
            return true;
        }
        catch (final Exception ex)
        {
            System.out.println("JournalDiskFullTest: client step failed: " + ex);
            return false;
        }
    }

    @FunctionalInterface
    private interface Step
    {
        void run() throws Exception;
    }
}
