package dev.tern.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory attacks of issue 13 against a standalone broker in a small JVM (192 MiB heap, 128 MiB direct memory):
 * 350 unauthenticated sockets each declaring a 1,000,000-byte CONNECT and sending 900,000 bytes of it; 600 connected
 * clients each holding 900,000 bytes of a 1,000,000-byte PUBLISH; 50 clients subscribing 10,000 filters each. After
 * each, and while the attackers are still connected, a valid client connects and publishes, and a valid subscriber
 * (connected before the attack) gets the message; the broker's RSS (VmRSS) is printed after each phase.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class MemoryAttackTest
{
    private static final List<String> SMALL_JVM = List.of("-Xmx192m", "-XX:MaxDirectMemorySize=128m");

    @TempDir
    Path dir;

    @Test
    void shouldServeValidClientsWhileAttackersTryToExhaustMemory() throws Exception
    {
        final int port = BrokerProcess.freePort();
        final Path config = dir.resolve("tern.yaml");
        // default limits but the subscription cap, sized to the heap (about 0.5 KiB a subscription)
        Files.writeString(config, "listeners:\n  - port: " + port + "\nlimits:\n  maxSubscriptions: 100000\n");
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("broker.log"), TernMain.class, SMALL_JVM,
            "--config", config.toString()))
        {
            broker.awaitListening(port, 30_000);
            final Socket subscriber = MemoryAttack.validSubscriber(port);
            final long startMib = broker.rssKib() / 1024;
            final StringBuilder report = new StringBuilder("MemoryAttackTest RSS: start " + startMib + " MiB");

            List<Socket> held = MemoryAttack.unauthenticated(port, 350);
            MemoryAttack.validClientsWork(port, subscriber, "p1");
            report.append(", 350 large CONNECTs ").append(broker.rssKib() / 1024).append(" MiB");
            MemoryAttack.closeAll(held);

            held = MemoryAttack.partialPublishes(port, 600, "attack-pub-");
            MemoryAttack.validClientsWork(port, subscriber, "p2");
            report.append(", 600 partial PUBLISHes ").append(broker.rssKib() / 1024).append(" MiB");
            MemoryAttack.closeAll(held);

            final int[] granted = new int[1];
            held = MemoryAttack.subscribers(port, 50, 10_000, granted);
            MemoryAttack.validClientsWork(port, subscriber, "p3");
            report.append(", 50 x 10,000 filters ").append(broker.rssKib() / 1024).append(" MiB");
            MemoryAttack.closeAll(held);
            // the valid subscriber holds one place under the cap: the attackers got the rest
            assertEquals(100_000 - 1, granted[0]);

            MemoryAttack.validClientsWork(port, subscriber, "p4");
            report.append(", after disconnecting ").append(broker.rssKib() / 1024).append(" MiB");
            System.out.println(report);
            subscriber.close();

            assertTrue(broker.process.isAlive(), broker.logText());
            final String log = broker.logText();
            assertTrue(!log.contains("OutOfMemoryError") && !log.contains("ERROR"), log);
            assertEquals(0, log.lines().filter(line -> line.contains("died")).count(), log);
        }
    }
}
