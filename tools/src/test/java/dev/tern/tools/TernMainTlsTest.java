package dev.tern.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher with TLS listeners from a config file. */
class TernMainTlsTest
{
    private static final String PASSWORD = "changeit";

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldExitWithCode1NamingBothFilesWhenTheKeyDoesNotMatchTheCertificate() throws Exception
    {
        final KeyStore first = generate("first");
        final KeyStore second = generate("second");
        final Path chain = Files.writeString(dir.resolve("chain.pem"),
            pem("CERTIFICATE", first.getCertificate("first").getEncoded()), StandardCharsets.US_ASCII);
        final Path key = Files.writeString(dir.resolve("key.pem"),
            pem("PRIVATE KEY", second.getKey("second", PASSWORD.toCharArray()).getEncoded()),
            StandardCharsets.US_ASCII);
        final Path config = Files.writeString(dir.resolve("tern.yaml"), """
            listeners:
              - name: secure
                type: tls
                port: 0
                tls:
                  certFile: %s
                  keyFile: %s
            """.formatted(chain, key));
        final StringWriter err = new StringWriter();

        final int exitCode = TernMain.run(new String[] {"--config", config.toString()},
            new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));

        assertEquals(1, exitCode, err.toString());
        assertEquals(List.of("tern: cannot start the broker: listener 'secure': private key file " + key +
            " does not match the first certificate of " + chain + " (the server's own certificate must come first)"),
            err.toString().lines().toList());
    }

    /** @return a PKCS12 store with one self-signed EC key pair under {@code alias}, made by the JDK's keytool. */
    private KeyStore generate(final String alias) throws Exception
    {
        final Path file = dir.resolve(alias + ".p12");
        final String program = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        final Process keytool = new ProcessBuilder(program,
            "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", alias, "-dname", "CN=localhost",
            "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD,
            "-keypass", PASSWORD, "-noprompt")
            .redirectErrorStream(true)
            .start();
        final byte[] output = keytool.getInputStream().readAllBytes();
        assertTrue(keytool.waitFor(30, TimeUnit.SECONDS), "keytool did not finish");
        assertEquals(0, keytool.exitValue(), new String(output, StandardCharsets.UTF_8));
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file))
        {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static String pem(final String type, final byte[] der)
    {
        return "-----BEGIN " + type + "-----\n" +
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) +
            "\n-----END " + type + "-----\n";
    }
}
