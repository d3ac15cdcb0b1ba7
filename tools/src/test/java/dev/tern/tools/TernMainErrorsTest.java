package dev.tern.tools;

import dev.tern.journal.ChronicleStorage;
import dev.tern.journal.JournalSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the launcher says when it cannot run as asked: invalid options exit 2 naming the option; a broker that cannot
 * start exits 1 with one line naming the file and the setting; a journal keeps the roll cycle it was created with.
 */
class TernMainErrorsTest
{
    @TempDir
    Path dir;

    /** The exit code and stderr of {@link TernMain#run}, bounded so a broker that starts by mistake cannot hang. */
    private record Outcome(int exitCode, String err)
    {
        String firstLine()
        {
            final int end = err.indexOf('\n');
            return end < 0 ? err : err.substring(0, end);
        }
    }

    private static Outcome run(final String... args) throws Exception
    {
        final StringWriter err = new StringWriter();
        final PrintWriter sink = new PrintWriter(new StringWriter(), true);
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        try
        {
            final Future<Integer> exit = executor.submit(() -> TernMain.run(args, sink, new PrintWriter(err, true)));
            try
            {
                return new Outcome(exit.get(30, TimeUnit.SECONDS), err.toString());
            }
            catch (final TimeoutException ex)
            {
                exit.cancel(true); // interrupts awaitClose, which closes the broker
                return fail("tern " + String.join(" ", args) + " started a broker instead of exiting; stderr: "
                    + err);
            }
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    @Test
    @Timeout(60)
    void shouldExitWithCode2NamingBindForAMalformedAddress() throws Exception
    {
        final Outcome outcome = run("--bind", "999.1.1.1", "--port", "0");

        assertEquals(2, outcome.exitCode(), outcome.err());
        assertEquals("tern: Invalid value for option '--bind': '999.1.1.1' is not an IPv4 address (four numbers"
            + " 0..255)", outcome.firstLine());
    }

    @Test
    @Timeout(60)
    void shouldExitWithCode2ForJournalOptionsWithoutPersistenceDir() throws Exception
    {
        final Outcome fsync = run("--fsync", "none", "--port", "0");
        assertEquals(2, fsync.exitCode(), fsync.err());
        assertEquals("tern: --fsync needs --persistence-dir", fsync.firstLine());

        final Outcome both = run("--port", "0", "--roll-cycle", "daily", "--fsync", "batch");
        assertEquals(2, both.exitCode(), both.err());
        assertEquals("tern: --fsync, --roll-cycle need --persistence-dir", both.firstLine());
    }

    @Test
    @Timeout(60)
    void shouldExitWithCode1NamingFileAndLineOfAPasswordFileThatIsNotUtf8() throws Exception
    {
        final Path passwd = dir.resolve("passwd");
        Files.write(passwd, "# users\nmari\u00e9:x\n".getBytes(StandardCharsets.ISO_8859_1));
        final Path config = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - port: 0
            auth:
              passwordFile: passwd
            """);

        final Outcome outcome = run("--config", config.toString());

        assertEquals(1, outcome.exitCode(), outcome.err());
        assertEquals("tern: cannot start the broker: password file " + passwd.toAbsolutePath().normalize()
            + " line 2: not UTF-8 text: byte 0xE9 at byte 5 of the line (save the file as UTF-8)", outcome.firstLine());
        assertEquals(outcome.firstLine().length() + 1, outcome.err().length(), "one line: " + outcome.err());
    }

    @Test
    @Timeout(60)
    void shouldExplainADamagedPasswordFileInOneLineFromThePasswdCommand() throws Exception
    {
        final Path passwd = Files.write(dir.resolve("passwd"),
            "# users\nmari\u00e9:x\n".getBytes(StandardCharsets.ISO_8859_1));

        final Outcome outcome = run("passwd", "-b", passwd.toString(), "bob", "builder");

        assertEquals(1, outcome.exitCode(), outcome.err());
        assertEquals("tern passwd: " + passwd + " line 2: not UTF-8 text: byte 0xE9 at byte 5 of the line (save the"
            + " file as UTF-8)\n", outcome.err());
    }

    @Test
    @Timeout(120)
    void shouldExitWithCode1NamingTheTrustStoreAndItsPasswordWhenThePasswordIsWrong() throws Exception
    {
        final Path keyStore = keytool("server.p12", "changeit", "-genkeypair", "-alias", "server", "-keyalg", "EC",
            "-dname", "CN=localhost", "-validity", "2");
        final Path certificate = keytool("server.pem", "changeit", "-exportcert", "-alias", "server", "-rfc",
            "-keystore", "server.p12", "-file", "server.pem");
        final Path trustStore = keytool("trust.p12", "trustpass", "-importcert", "-noprompt", "-alias", "ca",
            "-file", certificate.getFileName().toString());
        final Path config = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - type: tls
                port: 0
                tls:
                  keyStore: server.p12
                  keyStorePassword: changeit
                  clientAuth: optional
                  trustStore: trust.p12
                  trustStorePassword: wrongpass
            """);

        final Outcome outcome = run("--config", config.toString());

        assertEquals(1, outcome.exitCode(), outcome.err());
        assertEquals("tern: cannot start the broker: listener 'tls': trustStore "
            + trustStore.toAbsolutePath().normalize() + ": wrong trustStorePassword, or the file is damaged",
            outcome.firstLine());
        assertEquals(outcome.firstLine().length() + 1, outcome.err().length(), "one line: " + outcome.err());

        Files.writeString(config, Files.readString(config).replace("wrongpass", "trustpass")
            .replace("changeit", "nope"));
        final Outcome keyPassword = run("--config", config.toString());
        assertEquals(1, keyPassword.exitCode(), keyPassword.err());
        assertEquals("tern: cannot start the broker: listener 'tls': keyStore " + keyStore.toAbsolutePath().normalize()
            + ": wrong keyStorePassword, or the file is damaged", keyPassword.firstLine());
    }

    @Test
    @Timeout(60)
    void shouldExitWithCode1NamingACertFileThatIsNotPem() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        final Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(generator.generateKeyPair().getPrivate()
            .getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        final Path notPem = Files.writeString(dir.resolve("server.crt"), "subject=CN = localhost\nnot a certificate\n");
        final Path config = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - type: tls
                port: 0
                tls:
                  certFile: server.crt
                  keyFile: key.pem
            """);

        final Outcome outcome = run("--config", config.toString());
        assertEquals(1, outcome.exitCode(), outcome.err());
        assertEquals("tern: cannot start the broker: listener 'tls': certFile " + notPem.toAbsolutePath().normalize()
            + ": not a PEM certificate file (no '-----BEGIN CERTIFICATE-----' block)", outcome.firstLine());

        // the private key given as the certificate: say which block was found instead
        Files.writeString(config, Files.readString(config).replace("server.crt", "key.pem"));
        final Outcome swapped = run("--config", config.toString());
        assertEquals(1, swapped.exitCode(), swapped.err());
        assertEquals("tern: cannot start the broker: listener 'tls': certFile " + key.toAbsolutePath().normalize()
            + ": not a PEM certificate file (it holds a 'PRIVATE KEY' block, expected 'CERTIFICATE')",
            swapped.firstLine());
    }

    @Test
    @Timeout(60)
    void shouldReportTheRollCycleAnExistingJournalKeeps() throws Exception
    {
        final Path journal = dir.resolve("journal");
        try (ChronicleStorage created = new ChronicleStorage(JournalSettings.of(journal)
            .withRollCycle("FAST_HOURLY")))
        {
            created.flush();
        }
        final Path config = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - port: 0
            persistence:
              enabled: true
              directory: journal
              rollCycle: daily
            dashboard:
              enabled: true
              port: 0
            """);

        try (TernLauncher launcher = TernLauncher.start(TernMain.parse("--config", config.toString())))
        {
            final HttpResponse<String> stats = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + launcher.dashboardPort() + "/api/stats"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            final String state = new ObjectMapper().readTree(stats.body()).get("journal").textValue();
            assertEquals("on: " + journal.toAbsolutePath().normalize() + " (roll cycle hourly, fsync batch)", state);
        }
    }

    @Test
    @Timeout(120)
    void shouldLogThatAnExistingJournalKeepsItsRollCycle() throws Exception
    {
        final Path journal = dir.resolve("journal");
        try (ChronicleStorage created = new ChronicleStorage(JournalSettings.of(journal)
            .withRollCycle("FAST_HOURLY")))
        {
            created.flush();
        }
        final List<String> log;
        try (TernProcess broker = TernProcess.start("--port", "0", "--persistence-dir", journal.toString(),
            "--roll-cycle", "daily"))
        {
            broker.awaitStarted();
            log = broker.stop();
        }
        final String text = String.join("\n", log);
        assertTrue(text.contains("TernLauncher - journal " + journal + " keeps roll cycle hourly, the one it was"
            + " created with (Chronicle Queue cannot change it); roll cycle daily applies to a new journal only"),
            text);
        assertTrue(text.contains("journal in " + journal + " (roll cycle hourly, fsync batch)"), text);
        assertFalse(text.contains("roll cycle daily,"), text);
    }

    /** Runs the JDK's keytool in {@link #dir} on {@code store} and returns the file it wrote. */
    private Path keytool(final String store, final String password, final String... args)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        if (!List.of(args).contains("-keystore"))
        {
            command.addAll(List.of("-keystore", store, "-storetype", "PKCS12"));
        }
        command.addAll(List.of("-storepass", password));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keytool timed out");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
        final Path written = dir.resolve(List.of(args).contains("-file") && List.of(args).contains("-exportcert")
            ? args[List.of(args).indexOf("-file") + 1] : store);
        assertTrue(Files.isRegularFile(written), written + " written");
        return written;
    }
}
