package dev.tern.broker;

/**
 * Who a listener admits and what then governs them, from the listener's {@code anonymous} flag and the broker's
 * authenticator and authorizer. {@link Authenticator#DENY_ALL} and {@link Authorizer#DENY_ALL}, the defaults, mean
 * "none configured".
 * <ul>
 * <li>A listener that is not anonymous sends every CONNECT to the authenticator.</li>
 * <li>An anonymous listener admits a CONNECT without a user name. A CONNECT with a user name still goes to the
 * authenticator when one is configured, so a wrong password is refused there too (as Mosquitto); with no
 * authenticator but an authorizer, a user name that nothing can verify is refused rather than allowed to pick that
 * user's rules; with neither, the user name is accepted as is.</li>
 * <li>Clients of an anonymous listener bypass authorisation only when no authorizer is configured; otherwise the
 * authorizer decides for them, as for everyone (an ACL file's anonymous rules for those without a user name).</li>
 * </ul>
 */
public final class ListenerAccess
{
    private final Authenticator authenticator;
    private final Authorizer authorizer;

    /**
     * @param authenticator the broker's authenticator, {@link Authenticator#DENY_ALL} when none is configured.
     * @param authorizer    the broker's authorizer, {@link Authorizer#DENY_ALL} when none is configured.
     */
    public ListenerAccess(final Authenticator authenticator, final Authorizer authorizer)
    {
        this.authenticator = authenticator;
        this.authorizer = authorizer;
    }

    /**
     * @param anonymousListener the listener admits clients without credentials.
     * @param hasUsername       the CONNECT carries a user name.
     * @return true if the authenticator decides this CONNECT; false admits it as it is.
     */
    public boolean checksCredentials(final boolean anonymousListener, final boolean hasUsername)
    {
        return !anonymousListener || hasUsername && (authenticatorConfigured() || authorizerConfigured());
    }

    /**
     * @param anonymousListener the listener admits clients without credentials.
     * @return true if the listener's clients may publish and subscribe to anything without asking the authorizer.
     */
    public boolean unrestricted(final boolean anonymousListener)
    {
        return anonymousListener && !authorizerConfigured();
    }

    /**
     * @param listener a listener of the broker.
     * @return one line saying which of the rules above apply to the listener, for the start-up log.
     */
    public String describe(final ListenerConfig listener)
    {
        final StringBuilder text = new StringBuilder(200)
            .append("listener '").append(listener.name()).append("' (").append(listener.type().label()).append(' ')
            .append(listener.host()).append(':').append(listener.port()).append("): ");
        final String own = authenticator.describeListener(listener.name());
        if (own != null)
        {
            return text.append(own).toString();
        }
        final boolean fullRights = unrestricted(listener.anonymous()) || authorizer.allowsAll();
        if (listener.anonymous())
        {
            text.append("clients without a user name admitted").append(fullRights ? " with full rights" :
                " under the anonymous rules of " + authorizer);
            text.append(authenticatorConfigured() ? "; a user name and password are checked by " + name(authenticator) :
                authorizerConfigured() ? "; a user name is refused (no authenticator can verify it)" :
                "; a user name is accepted unchecked");
        }
        else
        {
            text.append(authenticatorConfigured() ? "credentials required, checked by " + name(authenticator) :
                "every client refused (no authenticator)");
        }
        if (fullRights)
        {
            text.append(listener.anonymous() ? "" : "; clients have full rights");
        }
        else
        {
            text.append(authorizerConfigured() ? "; rights from " + authorizer : "; nothing allowed (no authorizer)");
        }
        return text.toString();
    }

    private boolean authenticatorConfigured()
    {
        return authenticator.configured();
    }

    private boolean authorizerConfigured()
    {
        return authorizer.configured();
    }

    private static String name(final Authenticator authenticator)
    {
        return authenticator.acceptsAll() ? "nothing (every login accepted)" : authenticator.toString();
    }
}
