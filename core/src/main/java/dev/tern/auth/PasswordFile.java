package dev.tern.auth;

import dev.tern.broker.Authenticator;
import dev.tern.broker.ClientInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Users and salted password hashes from a file of {@code user:hash} lines, the format {@code mosquitto_passwd} writes
 * (see {@link PasswordHash}); blank lines and lines starting with {@code #} are skipped. An {@link Authenticator}:
 * no user name → {@link Authenticator#NOT_AUTHORIZED}; unknown user or wrong password →
 * {@link Authenticator#BAD_USERNAME_OR_PASSWORD}.
 * <p>
 * Cost on the routing thread: a successful verification is remembered (user → SHA-256 of the password), so a client
 * that reconnects costs one SHA-256, not a PBKDF2 run; failures are counted per source host and user name (and per
 * host, with a much higher ceiling) by a {@link LoginRateLimiter}, which refuses a guessing client without hashing
 * at all.
 */
public final class PasswordFile implements Authenticator
{
    /**
     * Iterations for new entries. Mosquitto 2 writes 101; Tern writes more because the hash is computed at most once
     * per user and password (successes are cached) and a guessing host is rate-limited, so a stronger hash costs
     * little at run time: about 1 ms per verification on a current core.
     */
    public static final int DEFAULT_ITERATIONS = 1_000;

    private final Map<String, PasswordHash> hashByUser;
    private final LoginRateLimiter limiter;
    private final AuthCounters counters = new AuthCounters();
    private final Map<String, byte[]> verifiedDigestByUser = new HashMap<>();
    private final MessageDigest sha256;
    private final String source;

    private PasswordFile(final String source, final Map<String, PasswordHash> hashByUser,
        final LoginRateLimiter limiter)
    {
        this.source = source;
        this.hashByUser = hashByUser;
        this.limiter = limiter;
        try
        {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** @return the file's users with the default rate limiter. */
    public static PasswordFile load(final Path file) throws IOException
    {
        return load(file, new LoginRateLimiter());
    }

    /**
     * @param file    the password file.
     * @param limiter the failed-login limiter to use.
     * @return the file's users.
     * @throws AuthFileException naming the file and line of a malformed entry or of bytes that are not UTF-8.
     */
    public static PasswordFile load(final Path file, final LoginRateLimiter limiter) throws IOException
    {
        return new PasswordFile(file.toString(), parse(file.toString(), AuthFileText.readLines(file)), limiter);
    }

    /** @return users parsed from lines (for tests and tools); {@code source} names them in errors. */
    public static PasswordFile of(final String source, final List<String> lines, final LoginRateLimiter limiter)
    {
        return new PasswordFile(source, parse(source, lines), limiter);
    }

    static Map<String, PasswordHash> parse(final String source, final List<String> lines)
    {
        final Map<String, PasswordHash> byUser = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final int colon = line.indexOf(':');
            if (colon <= 0)
            {
                throw new AuthFileException(source, i + 1, "expected user:hash");
            }
            final String user = line.substring(0, colon);
            try
            {
                if (byUser.put(user, PasswordHash.parse(line.substring(colon + 1))) != null)
                {
                    throw new AuthFileException(source, i + 1, "user '" + user + "' appears twice");
                }
            }
            catch (final AuthFileException ex)
            {
                throw ex;
            }
            catch (final IllegalArgumentException ex)
            {
                throw new AuthFileException(source, i + 1, "user '" + user + "': " + ex.getMessage());
            }
        }
        return byUser;
    }

    @Override
    public synchronized int authenticate(final ClientInfo client, final byte[] password)
    {
        final String user = client.username();
        if (user == null)
        {
            counters.missingUsername.increment();
            return NOT_AUTHORIZED;
        }
        final String host = LoginRateLimiter.hostOf(client.remoteAddress());
        if (limiter.isBlocked(host, user))
        {
            counters.rateLimited.increment();
            return BAD_USERNAME_OR_PASSWORD;
        }
        final PasswordHash hash = hashByUser.get(user);
        if (hash != null && password != null)
        {
            final byte[] digest = sha256.digest(password);
            final byte[] verified = verifiedDigestByUser.get(user);
            if (verified != null && MessageDigest.isEqual(verified, digest))
            {
                counters.cacheHits.increment();
                counters.accepted.increment();
                return ACCEPTED;
            }
            counters.hashes.increment();
            if (hash.verify(password))
            {
                verifiedDigestByUser.put(user, digest);
                counters.accepted.increment();
                return ACCEPTED;
            }
        }
        limiter.recordFailure(host, user);
        counters.failures.increment();
        return BAD_USERNAME_OR_PASSWORD;
    }

    /** @return the counters (readable from any thread). */
    public AuthCounters counters()
    {
        return counters;
    }

    /** @return where the users came from, for logs. */
    @Override
    public String toString()
    {
        return "password file " + source;
    }

    /** @return the user names, in file order. */
    public List<String> users()
    {
        return Collections.unmodifiableList(new ArrayList<>(hashByUser.keySet()));
    }

    /**
     * Add or replace a user in a password file (created if missing), keeping other lines as they are. The file is
     * written to a temporary file and moved into place, readable by its owner only.
     *
     * @param file       the password file.
     * @param create     start from an empty file even if one exists.
     * @param user       the user name; may not contain ':' or line breaks.
     * @param password   the password.
     * @param iterations PBKDF2 iterations.
     */
    public static void putUser(final Path file, final boolean create, final String user, final byte[] password,
        final int iterations) throws IOException
    {
        if (user.isEmpty() || user.indexOf(':') >= 0 || user.indexOf('\n') >= 0 || user.indexOf('\r') >= 0)
        {
            throw new IllegalArgumentException("a user name must be non-empty and contain no ':' or line break");
        }
        final List<String> lines = create || !Files.exists(file) ? new ArrayList<>() :
            new ArrayList<>(AuthFileText.readLines(file));
        parse(file.toString(), lines); // refuse to edit a damaged file
        final String entry = user + ":" + PasswordHash.create(password, iterations).encode();
        boolean replaced = false;
        for (int i = 0; i < lines.size(); i++)
        {
            if (lines.get(i).startsWith(user + ":"))
            {
                lines.set(i, entry);
                replaced = true;
            }
        }
        if (!replaced)
        {
            lines.add(entry);
        }
        write(file, lines);
    }

    /** @return true if the user was in the file and has been removed. */
    public static boolean removeUser(final Path file, final String user) throws IOException
    {
        final List<String> lines = new ArrayList<>(AuthFileText.readLines(file));
        parse(file.toString(), lines);
        final boolean removed = lines.removeIf(line -> line.startsWith(user + ":"));
        if (removed)
        {
            write(file, lines);
        }
        return removed;
    }

    private static void write(final Path file, final List<String> lines) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        final Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try
        {
            try
            {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            }
            catch (final UnsupportedOperationException notPosix)
            {
                // not a POSIX file system: keep its default permissions
            }
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            try
            {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (final AtomicMoveNotSupportedException ex)
            {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        finally
        {
            Files.deleteIfExists(tmp);
        }
    }
}
