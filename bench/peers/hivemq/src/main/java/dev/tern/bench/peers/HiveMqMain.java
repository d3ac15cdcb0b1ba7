package dev.tern.bench.peers;

import com.hivemq.embedded.EmbeddedHiveMQ;

import java.nio.file.Files;
import java.nio.file.Path;

/** HiveMQ CE (embedded) on 127.0.0.1:PORT, anonymous (CE's default), in memory, for bench/compare.sh. */
public final class HiveMqMain
{
    private HiveMqMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path home = Files.createTempDirectory("hivemq-peer");
        final Path conf = Files.createDirectories(home.resolve("conf"));
        Files.writeString(conf.resolve("config.xml"), """
            <?xml version="1.0"?>
            <hivemq>
              <listeners>
                <tcp-listener>
                  <port>%s</port>
                  <bind-address>127.0.0.1</bind-address>
                </tcp-listener>
              </listeners>
              <persistence>
                <mode>in-memory</mode>
              </persistence>
              <anonymous-usage-statistics>
                <enabled>false</enabled>
              </anonymous-usage-statistics>
            </hivemq>
            """.formatted(args[0]));
        final EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
            .withConfigurationFolder(conf)
            .withDataFolder(Files.createDirectories(home.resolve("data")))
            .withExtensionsFolder(Files.createDirectories(home.resolve("extensions")))
            .build();
        hivemq.start().join();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> hivemq.stop().join()));
        System.out.println("hivemq ce listening on 127.0.0.1:" + args[0]);
        Thread.currentThread().join();
    }
}
