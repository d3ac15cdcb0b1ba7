package dev.tern.examples;

import dev.tern.broker.BrokerConfig;
import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import dev.tern.server.TernBroker;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The README's persistence snippet: an embedded broker that journals its durable state to a Chronicle Queue in the
 * directory given as the first argument (tern-journal on the class path) and rebuilds it at the next start: from the
 * second run on, the subscriber first receives the retained message the previous run left.
 */
public final class EmbeddedBrokerWithJournal
{
    private EmbeddedBrokerWithJournal()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path journalDir = Path.of(args.length > 0 ? args[0] : "tern-journal");
        // --- README: Embedding with persistence (begin)
        try (TernBroker broker = TernBroker.builder()
                .tcp("127.0.0.1", 0)
                .allowAnonymous()
                .config(BrokerConfig.defaults())
                .storage(new ChronicleStorage(JournalSettings.of(journalDir)))   // journalDir: a java.nio.file.Path
                .start())
        {
            CountDownLatch routed = new CountDownLatch(1);
            AutoCloseable subscription = broker.subscribe("sensors/#", (topic, payload, qos, retain) ->
            {
                // a retained message comes first: from the journal, when an earlier run left one
                System.out.println((retain ? "retained: " : "") + topic + " " + new String(payload, UTF_8));
                routed.countDown();
            });
            broker.publish("sensors/t1", "21.5".getBytes(UTF_8), 1, true);   // retained: journaled
            routed.await(5, TimeUnit.SECONDS);
            subscription.close();
        }
        // --- README: Embedding with persistence (end)
    }
}
