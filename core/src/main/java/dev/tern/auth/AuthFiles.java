package dev.tern.auth;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A password file and an ACL file, either of them optional, read as one authenticator and authorizer: at start and
 * again at each reload. Without a password file the authenticator is {@link Authenticator#DENY_ALL} (none); without
 * an ACL file the authorizer is {@link Authorizer#ALLOW_ALL} when a password file is given (as Mosquitto:
 * authenticated clients may do anything), else {@link Authorizer#DENY_ALL} (none). Failed logins are throttled by one
 * {@link LoginRateLimiter} that outlives reloads, so rereading the file does not let a guessing client start over.
 * Not thread-safe: one reload at a time.
 */
public final class AuthFiles
{
    private final Path passwordFile;
    private final Path aclFile;
    private final LoginRateLimiter limiter;

    /**
     * @param passwordFile the password file, or {@code null} for none.
     * @param aclFile      the ACL file, or {@code null} for none.
     */
    public AuthFiles(final Path passwordFile, final Path aclFile)
    {
        this(passwordFile, aclFile, new LoginRateLimiter());
    }

    /**
     * @param passwordFile the password file, or {@code null} for none.
     * @param aclFile      the ACL file, or {@code null} for none.
     * @param limiter      the failed-login limiter, kept across reloads.
     */
    public AuthFiles(final Path passwordFile, final Path aclFile, final LoginRateLimiter limiter)
    {
        if (passwordFile == null && aclFile == null)
        {
            throw new IllegalArgumentException("neither a password file nor an ACL file");
        }
        this.passwordFile = passwordFile;
        this.aclFile = aclFile;
        this.limiter = limiter;
    }

    /** @return the password file, or {@code null}. */
    public Path passwordFile()
    {
        return passwordFile;
    }

    /** @return the ACL file, or {@code null}. */
    public Path aclFile()
    {
        return aclFile;
    }

    /**
     * Read both files now. Nothing is kept: a failure leaves whatever the caller had in place.
     *
     * @return the authenticator and authorizer they describe.
     * @throws IllegalArgumentException naming what the file is, its path and the line of a malformed entry, e.g.
     *                                  {@code ACL file /etc/tern/acl line 3: unknown access 'raed' (...)}.
     * @throws UncheckedIOException     naming the file if it cannot be read.
     */
    public Loaded load()
    {
        final PasswordFile passwords = passwordFile == null ? null :
            read("password file", passwordFile, file -> PasswordFile.load(file, limiter));
        final AclFile acl = aclFile == null ? null : read("ACL file", aclFile, AclFile::load);
        return new Loaded(passwords == null ? Authenticator.DENY_ALL : passwords,
            acl != null ? acl : passwords != null ? Authorizer.ALLOW_ALL : Authorizer.DENY_ALL,
            passwords == null ? -1 : passwords.users().size());
    }

    private static <T> T read(final String what, final Path file, final Loader<T> loader)
    {
        try
        {
            return loader.load(file);
        }
        catch (final AuthFileException ex)
        {
            throw new IllegalArgumentException(what + " " + ex.getMessage(), ex); // the message starts with the path
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + what + " " + file + ": " + dev.tern.util.IoMessages.describe(ex), ex);
        }
    }

    @Override
    public String toString()
    {
        return (passwordFile == null ? "" : "password file " + passwordFile) +
            (passwordFile != null && aclFile != null ? ", " : "") + (aclFile == null ? "" : "ACL file " + aclFile);
    }

    @FunctionalInterface
    private interface Loader<T>
    {
        T load(Path file) throws IOException;
    }

    /**
     * What the files said.
     *
     * @param authenticator the password file, or {@link Authenticator#DENY_ALL} without one.
     * @param authorizer    the ACL file, or the default described on {@link AuthFiles}.
     * @param users         users in the password file, -1 without one.
     */
    public record Loaded(Authenticator authenticator, Authorizer authorizer, int users)
    {
        /** @return e.g. {@code password file /etc/tern/passwd: 3 users; ACL file /etc/tern/acl}, for logs. */
        public String describe(final AuthFiles files)
        {
            return (files.passwordFile == null ? "" : "password file " + files.passwordFile + ": " + users + " users") +
                (files.passwordFile != null && files.aclFile != null ? "; " : "") +
                (files.aclFile == null ? "" : "ACL file " + files.aclFile);
        }
    }
}
