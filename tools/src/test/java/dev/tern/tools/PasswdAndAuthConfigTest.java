package dev.tern.tools;

import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import dev.tern.broker.Authenticator;
import dev.tern.broker.ClientInfo;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tern passwd}, and a launcher whose config file names a password file and an ACL file. */
@Timeout(60)
class PasswdAndAuthConfigTest
{
    @TempDir
    Path dir;

    private static int run(final String... args)
    {
        return TernMain.run(args, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    private static int check(final Path file, final String user, final String password) throws Exception
    {
        return PasswordFile.load(file, LoginRateLimiter.disabled()).authenticate(
            new ClientInfo("c", user, "/127.0.0.1:1", "tcp", 4), password.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldCreateUpdateAndDeleteUsers() throws Exception
    {
        final Path file = dir.resolve("users.txt");
        assertEquals(0, run("passwd", "-c", "-b", file.toString(), "alice", "one"));
        assertEquals(0, run("passwd", "-b", file.toString(), "bob", "two"));
        assertEquals(Authenticator.ACCEPTED, check(file, "alice", "one"));
        assertEquals(Authenticator.ACCEPTED, check(file, "bob", "two"));
        assertTrue(Files.readString(file).startsWith("alice:$7$1000$"), Files.readString(file));

        assertEquals(0, run("passwd", "-b", "--iterations", "20", file.toString(), "alice", "three"));
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD, check(file, "alice", "one"));
        assertEquals(Authenticator.ACCEPTED, check(file, "alice", "three"));

        assertEquals(0, run("passwd", "-D", file.toString(), "bob"));
        assertEquals(List.of("alice"), PasswordFile.load(file).users());
        assertEquals(1, run("passwd", "-D", file.toString(), "bob"), "deleting a missing user fails");
        assertEquals(2, run("passwd", "-b", file.toString(), "carol"), "-b without a password is a usage error");
    }

    @Test
    void shouldProtectAListenerWithTheConfiguredFiles() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        assertEquals(0, run("passwd", "-c", "-b", users.toString(), "alice", "wonderland"));
        Files.write(dir.resolve("acl.conf"), List.of("user alice", "topic readwrite alice/#"));
        final Path config = dir.resolve("tern.yaml");
        Files.write(config, List.of(
            "listeners:",
            "  - name: secure",
            "    host: 127.0.0.1",
            "    port: 0",
            "    anonymous: false",
            "auth:",
            "  passwordFile: users.txt",
            "  aclFile: acl.conf"));
        try (TernLauncher launcher = TernLauncher.start(TernMain.parse("--config", config.toString())))
        {
            final String uri = "tcp://127.0.0.1:" + launcher.port();
            final MqttConnectOptions wrong = new MqttConnectOptions();
            wrong.setUserName("alice");
            wrong.setPassword("nope".toCharArray());
            final MqttClient client = new MqttClient(uri, "cfg-alice", new MemoryPersistence());
            final MqttSecurityException refused = assertThrows(MqttSecurityException.class, () -> client.connect(wrong));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, refused.getReasonCode());

            final MqttConnectOptions right = new MqttConnectOptions();
            right.setUserName("alice");
            right.setPassword("wonderland".toCharArray());
            client.connect(right);
            final int[] granted = client.subscribeWithResponse(new String[] {"alice/x", "other/x"}, new int[] {1, 1})
                .getGrantedQos();
            assertEquals(1, granted[0]);
            assertEquals(0x80, granted[1], "the ACL file refuses other/x");
            client.disconnect();
            client.close();
        }
    }

    @Test
    void shouldRequireCredentialsOnLoopbackWhenAPasswordFileIsConfigured() throws Exception
    {
        final Path users = dir.resolve("users.txt");
        assertEquals(0, run("passwd", "-c", "-b", users.toString(), "alice", "wonderland"));
        Files.write(dir.resolve("acl.conf"), List.of("topic read anon/#", "user alice", "topic read public/#"));
        final Path config = dir.resolve("tern.yaml");
        Files.write(config, List.of(
            "listeners:",
            "  - name: local",
            "    host: 127.0.0.1",
            "    port: 0",
            "  - name: open",
            "    host: 127.0.0.1",
            "    port: 0",
            "    anonymous: true",
            "auth:",
            "  passwordFile: users.txt",
            "  aclFile: acl.conf"));
        try (TernLauncher launcher = TernLauncher.start(TernMain.parse("--config", config.toString())))
        {
            // loopback without anonymous: true needs credentials once a password file is configured
            final MqttClient local = new MqttClient("tcp://127.0.0.1:" + launcher.port("local"), "cfg-anon",
                new MemoryPersistence());
            final MqttSecurityException refused = assertThrows(MqttSecurityException.class,
                () -> local.connect(new MqttConnectOptions()));
            assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refused.getReasonCode());
            local.close();

            // the explicitly anonymous listener admits it, under the ACL's anonymous rules, and checks passwords
            final String openUri = "tcp://127.0.0.1:" + launcher.port("open");
            final MqttClient open = new MqttClient(openUri, "cfg-open", new MemoryPersistence());
            open.connect(new MqttConnectOptions());
            final int[] granted = open.subscribeWithResponse(new String[] {"anon/x", "#", "$SYS/#"}, new int[3])
                .getGrantedQos();
            assertEquals(List.of(0, 0x80, 0x80), List.of(granted[0], granted[1], granted[2]));
            open.disconnect();
            open.close();
            final MqttConnectOptions wrong = new MqttConnectOptions();
            wrong.setUserName("alice");
            wrong.setPassword("nope".toCharArray());
            final MqttClient guesser = new MqttClient(openUri, "cfg-guess", new MemoryPersistence());
            final MqttSecurityException bad = assertThrows(MqttSecurityException.class, () -> guesser.connect(wrong));
            assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, bad.getReasonCode());
            guesser.close();
        }
    }

    @Test
    void shouldRefuseToStartWithAMistypedAclRuleNamingFileAndLine() throws Exception
    {
        Files.write(dir.resolve("acl.conf"), List.of("user alice", "topic raed public/#"));
        final Path config = dir.resolve("tern.yaml");
        Files.write(config, List.of(
            "listeners:",
            "  - port: 0",
            "auth:",
            "  aclFile: acl.conf"));
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> TernLauncher.start(TernMain.parse("--config", config.toString())).close());
        assertEquals("ACL file " + dir.resolve("acl.conf").toAbsolutePath().normalize() +
            " line 2: unknown access 'raed' (expected read, write, readwrite or deny)", refused.getMessage());
        final StringWriter err = new StringWriter();
        assertEquals(1, TernMain.run(new String[] {"--config", config.toString()}, new PrintWriter(new StringWriter()),
            new PrintWriter(err)));
        assertTrue(err.toString().contains("acl.conf line 2: unknown access 'raed'"), err.toString());
    }
}
