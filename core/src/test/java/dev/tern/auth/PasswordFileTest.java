package dev.tern.auth;

import dev.tern.broker.Authenticator;
import dev.tern.broker.ClientInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PasswordFileTest
{
    @TempDir
    Path dir;

    private static ClientInfo client(final String user, final String address)
    {
        return new ClientInfo("c1", user, address, "tcp", 4);
    }

    private static byte[] utf8(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAcceptTheRightPasswordAndRefuseOthers() throws Exception
    {
        final Path file = dir.resolve("users");
        PasswordFile.putUser(file, true, "alice", utf8("wonderland"), 50);
        PasswordFile.putUser(file, false, "bob", utf8("builder"), 50);
        final PasswordFile users = PasswordFile.load(file);
        assertEquals(List.of("alice", "bob"), users.users());
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/127.0.0.1:1"), utf8("wonderland")));
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
            users.authenticate(client("alice", "/127.0.0.1:1"), utf8("builder")));
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
            users.authenticate(client("carol", "/127.0.0.1:1"), utf8("x")));
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD, users.authenticate(client("bob", "/127.0.0.1:1"), null));
        assertEquals(Authenticator.NOT_AUTHORIZED, users.authenticate(client(null, "/127.0.0.1:1"), utf8("x")));
        // a second login with the same password is answered from the cache, not hashed again
        final long hashes = users.counters().hashes.get();
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/127.0.0.2:1"), utf8("wonderland")));
        assertEquals(hashes, users.counters().hashes.get());
        assertEquals(1, users.counters().cacheHits.get());
    }

    @Test
    void shouldReplaceAndDeleteUsersKeepingOtherLines() throws Exception
    {
        final Path file = dir.resolve("users");
        Files.writeString(file, "# staff\n");
        PasswordFile.putUser(file, false, "alice", utf8("one"), 10);
        PasswordFile.putUser(file, false, "alice", utf8("two"), 10);
        final List<String> lines = Files.readAllLines(file);
        assertEquals("# staff", lines.get(0));
        assertEquals(2, lines.size());
        assertEquals(Authenticator.ACCEPTED,
            PasswordFile.load(file).authenticate(client("alice", "/h:1"), utf8("two")));
        assertTrue(PasswordFile.removeUser(file, "alice"));
        assertFalse(PasswordFile.removeUser(file, "alice"));
        assertEquals(List.of(), PasswordFile.load(file).users());
    }

    @Test
    void shouldNameTheLineOfABadEntry()
    {
        final AuthFileException noColon = assertThrows(AuthFileException.class,
            () -> PasswordFile.of("users.txt", List.of("# ok", "alice"), LoginRateLimiter.disabled()));
        assertEquals("users.txt line 2: expected user:hash", noColon.getMessage());
        final AuthFileException plain = assertThrows(AuthFileException.class,
            () -> PasswordFile.of("users.txt", List.of("", "bob:secret"), LoginRateLimiter.disabled()));
        assertTrue(plain.getMessage().startsWith("users.txt line 2: user 'bob': unsupported hash"), plain.getMessage());
        final String good = "x:" + PasswordHash.create(utf8("p"), 5).encode();
        final AuthFileException twice = assertThrows(AuthFileException.class,
            () -> PasswordFile.of("users.txt", List.of(good, good), LoginRateLimiter.disabled()));
        assertEquals("users.txt line 2: user 'x' appears twice", twice.getMessage());
    }

    @Test
    void shouldRefuseAGuessingHostWithoutHashing() throws Exception
    {
        final long[] now = {0};
        final LoginRateLimiter limiter = new LoginRateLimiter(3, 10_000, 30_000, () -> now[0]);
        final PasswordFile users = PasswordFile.of("users", List.of("alice:" +
            PasswordHash.create(utf8("right"), 10).encode()), limiter);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
                users.authenticate(client("alice", "/10.0.0.9:" + (4000 + i)), utf8("guess" + i)));
        }
        final long hashes = users.counters().hashes.get();
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
            users.authenticate(client("alice", "/10.0.0.9:5000"), utf8("right")), "blocked even when right");
        assertEquals(hashes, users.counters().hashes.get(), "no hashing while blocked");
        assertEquals(1, users.counters().rateLimited.get());
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/10.0.0.8:1"), utf8("right")),
            "other hosts are not affected");
        now[0] += TimeUnit.SECONDS.toNanos(31);
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/10.0.0.9:6000"), utf8("right")),
            "the back-off ends");
    }

    @Test
    void shouldThrottleAGuessedUserWithoutLockingOutOthersAtTheSameAddress() throws Exception
    {
        final long[] now = {0};
        final LoginRateLimiter limiter = new LoginRateLimiter(3, 10_000, 30_000, () -> now[0]);
        final PasswordFile users = PasswordFile.of("users", List.of(
            "alice:" + PasswordHash.create(utf8("wonderland"), 10).encode(),
            "bob:" + PasswordHash.create(utf8("builder"), 10).encode()), limiter);
        for (int i = 0; i < 5; i++)
        {
            assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
                users.authenticate(client("bob", "/10.0.0.9:" + (4000 + i)), utf8("guess" + i)));
        }
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
            users.authenticate(client("bob", "/10.0.0.9:5000"), utf8("builder")), "bob backs off from this address");
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/10.0.0.9:5001"), utf8("wonderland")),
            "alice behind the same address is not locked out");
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("bob", "/10.0.0.8:1"), utf8("builder")),
            "bob from another address is not locked out");
    }

    @Test
    void shouldStillThrottleAnAddressThatSpraysUserNames() throws Exception
    {
        final long[] now = {0};
        final LoginRateLimiter limiter = new LoginRateLimiter(3, 10_000, 30_000, () -> now[0]);
        final PasswordFile users = PasswordFile.of("users", List.of(
            "alice:" + PasswordHash.create(utf8("wonderland"), 10).encode()), limiter);
        final int ceiling = limiter.maxFailuresPerAddress();
        assertTrue(ceiling >= 10 * 3, "the address ceiling is much higher than the per-user limit: " + ceiling);
        for (int i = 0; i < ceiling; i++)
        {
            // two tries per name: under the per-user limit, so only the address ceiling can stop this
            assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
                users.authenticate(client("user" + (i / 2), "/10.0.0.9:" + (4000 + i)), utf8("guess")));
        }
        final long hashes = users.counters().hashes.get();
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD,
            users.authenticate(client("alice", "/10.0.0.9:5000"), utf8("wonderland")), "the address backs off");
        assertEquals(hashes, users.counters().hashes.get(), "no hashing while the address backs off");
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/10.0.0.8:1"), utf8("wonderland")));
        now[0] += TimeUnit.SECONDS.toNanos(31);
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("alice", "/10.0.0.9:6000"), utf8("wonderland")),
            "the back-off ends");
    }

    @Test
    void shouldVerifyAHashWrittenByMosquittoPasswd() throws Exception
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mosquitto_passwd")),
            "mosquitto_passwd is not installed (apt-get install mosquitto): skipping the interop vector");
        final Path file = dir.resolve("mosquitto-users");
        final Process p = new ProcessBuilder("/usr/bin/mosquitto_passwd", "-c", "-b", file.toString(), "mia", "p4ss")
            .redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        final PasswordFile users = PasswordFile.load(file);
        assertEquals(Authenticator.ACCEPTED, users.authenticate(client("mia", "/h:1"), utf8("p4ss")));
        assertEquals(Authenticator.BAD_USERNAME_OR_PASSWORD, users.authenticate(client("mia", "/h:1"), utf8("p4sS")));
    }
}
