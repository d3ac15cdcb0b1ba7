package dev.tern.transport.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * User name and password an administrator gives to reach the dashboard (HTTP Basic). {@link #toString()} hides the
 * password so the record can be logged.
 *
 * @param user     user name, not empty and without ':' (Basic auth splits on the first colon).
 * @param password password, not empty.
 */
public record Credentials(String user, String password)
{
    public Credentials
    {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (user.isEmpty() || user.indexOf(':') >= 0)
        {
            throw new IllegalArgumentException("admin user must be non-empty and must not contain ':'");
        }
        if (password.isEmpty())
        {
            throw new IllegalArgumentException("admin password must not be empty");
        }
    }

    /**
     * Compare in time independent of where the inputs differ, so a remote caller cannot guess byte by byte.
     *
     * @return whether both the user and the password match.
     */
    public boolean matches(final String candidateUser, final String candidatePassword)
    {
        if (candidateUser == null || candidatePassword == null)
        {
            return false;
        }
        final boolean userOk = MessageDigest.isEqual(
            user.getBytes(StandardCharsets.UTF_8), candidateUser.getBytes(StandardCharsets.UTF_8));
        final boolean passwordOk = MessageDigest.isEqual(
            password.getBytes(StandardCharsets.UTF_8), candidatePassword.getBytes(StandardCharsets.UTF_8));
        return userOk & passwordOk;
    }

    @Override
    public String toString()
    {
        return "Credentials[user=" + user + ", password=***]";
    }
}
