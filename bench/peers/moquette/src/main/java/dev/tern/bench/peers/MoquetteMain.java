package dev.tern.bench.peers;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;

import java.util.Properties;

/** Moquette on 127.0.0.1:PORT, anonymous, in memory, for bench/compare.sh. */
public final class MoquetteMain
{
    private MoquetteMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Properties p = new Properties();
        p.setProperty("host", "127.0.0.1");
        p.setProperty("port", args[0]);
        p.setProperty("allow_anonymous", "true");
        p.setProperty("persistence_enabled", "false");
        p.setProperty("telemetry_enabled", "false");
        final Server server = new Server();
        server.startServer(new MemoryConfig(p));
        Runtime.getRuntime().addShutdownHook(new Thread(server::stopServer));
        System.out.println("moquette listening on 127.0.0.1:" + args[0]);
        Thread.currentThread().join();
    }
}
