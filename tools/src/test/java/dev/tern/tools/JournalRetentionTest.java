package dev.tern.tools;

import dev.tern.broker.BrokerConfig;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.server.TernBroker;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Disk use stays bounded under steady load: with one-second journal files and frequent checkpoints, files a
 * checkpoint covers are deleted while traffic flows, so the number of files does not grow with the run's length.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalRetentionTest
{
    @TempDir
    Path dir;

    @Test
    void shouldKeepAFewCycleFilesUnderSteadyLoad() throws Exception
    {
        final Path journal = dir.resolve("j");
        final JournalSettings settings = JournalSettings.of(journal).withRollCycle("TEST_SECONDLY")
            .withFsync(JournalSettings.Fsync.NONE);
        try (TernBroker broker = TernBroker.builder().tcp("127.0.0.1", 0).allowAnonymous()
            .config(BrokerConfig.defaults().sysIntervalSeconds(0).checkpointEveryRecords(300))
            .storage(new ChronicleStorage(settings)).start())
        {
            final String uri = "tcp://127.0.0.1:" + broker.port();
            final AtomicInteger received = new AtomicInteger();
            final MqttClient subscriber = new MqttClient(uri, "retention-sub", new MemoryPersistence());
            final MqttConnectOptions persistent = new MqttConnectOptions();
            persistent.setCleanSession(false);
            subscriber.connect(persistent);
            subscriber.subscribe("load/#", 1, (topic, message) -> received.incrementAndGet());
            final MqttClient publisher = new MqttClient(uri, "retention-pub", new MemoryPersistence());
            final MqttConnectOptions clean = new MqttConnectOptions();
            clean.setMaxInflight(1000);
            publisher.connect(clean);

            int sent = 0;
            int maxFiles = 0;
            final long endNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            long nextSampleNs = System.nanoTime();
            while (System.nanoTime() - endNs < 0)
            {
                try
                {
                    publisher.publish("load/t", new byte[100], 1, false);
                    sent++;
                }
                catch (final org.eclipse.paho.client.mqttv3.MqttException ex)
                {
                    if (ex.getReasonCode() != org.eclipse.paho.client.mqttv3.MqttException.REASON_CODE_MAX_INFLIGHT)
                    {
                        throw ex;
                    }
                    Thread.sleep(1); // the client's own window: not sent, try again
                }
                if (System.nanoTime() - nextSampleNs >= 0)
                {
                    nextSampleNs += TimeUnit.MILLISECONDS.toNanos(250);
                    maxFiles = Math.max(maxFiles, cycleFiles(journal));
                }
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.get() < sent && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(20);
            }
            System.out.printf("JournalRetentionTest: %d messages in 6 s, at most %d cycle files, %d at the end%n",
                sent, maxFiles, cycleFiles(journal));
            assertEquals(sent, received.get(), "every message delivered");
            assertTrue(sent > 500, "enough traffic for several checkpoints: " + sent);
            assertTrue(maxFiles <= 4, "files deleted as checkpoints cover them; at most " + maxFiles);
            publisher.disconnect();
            subscriber.disconnect();
        }
    }

    private static int cycleFiles(final Path journal)
    {
        return Objects.requireNonNull(journal.toFile().listFiles((File d, String n) -> n.endsWith(".cq4"))).length;
    }
}
