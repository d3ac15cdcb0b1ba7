package dev.tern.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * One stored password hash, in the encodings of Mosquitto 2.x password files:
 * <pre>
 *   $7$&lt;iterations&gt;$&lt;base64 salt&gt;$&lt;base64 hash&gt;   PBKDF2-HMAC-SHA512, 64-byte hash (current format)
 *   $6$&lt;base64 salt&gt;$&lt;base64 hash&gt;                SHA-512(password || salt), 64-byte hash (Mosquitto 1.x files)
 * </pre>
 * New hashes are always {@code $7$} with a 12-byte random salt, as {@code mosquitto_passwd} writes them. The
 * password is hashed as the raw bytes the client sent, so any byte sequence works, not only UTF-8 text.
 * <p>
 * Verification costs one SHA-512 for {@code $6$} and about 2 × iterations HMAC compressions for {@code $7$}; the
 * iteration count is capped at {@link #MAX_ITERATIONS} because verification runs on the routing thread.
 */
public final class PasswordHash
{
    /** Length of the derived key and of the SHA-512 digest, in bytes. */
    public static final int HASH_LENGTH = 64;
    /** Salt length {@code mosquitto_passwd} uses, and so do we for new entries. */
    public static final int SALT_LENGTH = 12;
    /**
     * Largest PBKDF2 iteration count accepted when loading: a file with a huge count would stall the routing thread
     * on every uncached login (100,000 iterations is in the order of 100 ms on a 2020s core).
     */
    public static final int MAX_ITERATIONS = 100_000;

    private static final String PBKDF2_PREFIX = "$7$";
    private static final String SHA512_PREFIX = "$6$";
    private static final String HMAC = "HmacSHA512";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int iterations; // 0 for the salted SHA-512 format
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(final int iterations, final byte[] salt, final byte[] hash)
    {
        this.iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /**
     * Hash a new password as PBKDF2-HMAC-SHA512 with a fresh random salt.
     *
     * @param password   the password bytes (UTF-8 for text).
     * @param iterations PBKDF2 iteration count, 1 to {@link #MAX_ITERATIONS}.
     * @return the hash, ready for {@link #encode()}.
     */
    public static PasswordHash create(final byte[] password, final int iterations)
    {
        checkIterations(iterations);
        final byte[] salt = new byte[SALT_LENGTH];
        RANDOM.nextBytes(salt);
        return new PasswordHash(iterations, salt, pbkdf2(password, salt, iterations));
    }

    /**
     * Parse the part after {@code user:} of a password file line.
     *
     * @param encoded {@code $7$...} or {@code $6$...}.
     * @return the parsed hash.
     * @throws IllegalArgumentException naming what is wrong (the caller adds the line number).
     */
    public static PasswordHash parse(final String encoded)
    {
        final String[] parts;
        final int iterations;
        if (encoded.startsWith(PBKDF2_PREFIX))
        {
            parts = encoded.substring(PBKDF2_PREFIX.length()).split("\\$", -1);
            if (parts.length != 3)
            {
                throw new IllegalArgumentException("expected $7$<iterations>$<salt>$<hash>");
            }
            try
            {
                iterations = Integer.parseInt(parts[0]);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("iteration count '" + parts[0] + "' is not a number");
            }
            checkIterations(iterations);
            return new PasswordHash(iterations, decode(parts[1], "salt"), decodeHash(parts[2]));
        }
        if (encoded.startsWith(SHA512_PREFIX))
        {
            parts = encoded.substring(SHA512_PREFIX.length()).split("\\$", -1);
            if (parts.length != 2)
            {
                throw new IllegalArgumentException("expected $6$<salt>$<hash>");
            }
            return new PasswordHash(0, decode(parts[0], "salt"), decodeHash(parts[1]));
        }
        throw new IllegalArgumentException("unsupported hash: expected $7$ (PBKDF2-SHA512) or $6$ (SHA-512);"
            + " plain-text passwords are not accepted");
    }

    /**
     * Check a presented password against this hash, comparing in constant time.
     *
     * @param password the password bytes as sent by the client; {@code null} never matches.
     * @return true if it matches.
     */
    public boolean verify(final byte[] password)
    {
        if (password == null)
        {
            return false;
        }
        final byte[] computed = iterations == 0 ? sha512(password, salt) : pbkdf2(password, salt, iterations);
        return MessageDigest.isEqual(computed, hash);
    }

    /** @return the text form, as written after {@code user:} in a password file. */
    public String encode()
    {
        final Base64.Encoder base64 = Base64.getEncoder();
        if (iterations == 0)
        {
            return SHA512_PREFIX + base64.encodeToString(salt) + "$" + base64.encodeToString(hash);
        }
        return PBKDF2_PREFIX + iterations + "$" + base64.encodeToString(salt) + "$" + base64.encodeToString(hash);
    }

    /** @return the PBKDF2 iteration count, or 0 for the legacy salted SHA-512 format. */
    public int iterations()
    {
        return iterations;
    }

    @Override
    public String toString()
    {
        return iterations == 0 ? "PasswordHash[sha512]" : "PasswordHash[pbkdf2-sha512, " + iterations + "]";
    }

    /**
     * PBKDF2 (RFC 8018 section 5.2) with HMAC-SHA512, {@value #HASH_LENGTH} bytes of output. Written over
     * {@link Mac} rather than {@code SecretKeyFactory} because the JDK factory takes a {@code char[]} and would
     * re-encode it, while MQTT passwords are arbitrary bytes.
     */
    static byte[] pbkdf2(final byte[] password, final byte[] salt, final int iterations)
    {
        try
        {
            final Mac mac = Mac.getInstance(HMAC);
            // HMAC zero-pads its key, so an empty key equals a single zero byte; SecretKeySpec refuses empty keys.
            mac.init(new SecretKeySpec(password.length == 0 ? new byte[1] : password, HMAC));
            final byte[] u = new byte[HASH_LENGTH];
            mac.update(salt);
            mac.update(new byte[] {0, 0, 0, 1}); // block index 1, big-endian: one block gives all 64 bytes
            mac.doFinal(u, 0);
            final byte[] result = u.clone();
            for (int i = 1; i < iterations; i++)
            {
                mac.update(u);
                mac.doFinal(u, 0);
                for (int j = 0; j < HASH_LENGTH; j++)
                {
                    result[j] ^= u[j];
                }
            }
            return result;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA512 unavailable", ex); // every Java 17 runtime has it
        }
    }

    static byte[] sha512(final byte[] password, final byte[] salt)
    {
        try
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-512");
            digest.update(password);
            digest.update(salt);
            return digest.digest();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("SHA-512 unavailable", ex);
        }
    }

    static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkIterations(final int iterations)
    {
        if (iterations < 1 || iterations > MAX_ITERATIONS)
        {
            throw new IllegalArgumentException("iteration count " + iterations + " is outside 1.." + MAX_ITERATIONS);
        }
    }

    private static byte[] decodeHash(final String text)
    {
        final byte[] hash = decode(text, "hash");
        if (hash.length != HASH_LENGTH)
        {
            throw new IllegalArgumentException("hash is " + hash.length + " bytes, expected " + HASH_LENGTH);
        }
        return hash;
    }

    private static byte[] decode(final String text, final String what)
    {
        final byte[] bytes;
        try
        {
            bytes = Base64.getDecoder().decode(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(what + " is not valid base64");
        }
        if (bytes.length == 0)
        {
            throw new IllegalArgumentException(what + " is empty");
        }
        return bytes;
    }
}
