package dev.tern.broker;

import dev.tern.auth.AclFile;
import dev.tern.auth.LoginRateLimiter;
import dev.tern.auth.PasswordFile;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListenerAccessTest
{
    private static final PasswordFile PASSWORDS = PasswordFile.of("users.txt", List.of(), LoginRateLimiter.disabled());
    private static final AclFile ACL = AclFile.of("acl.conf", List.of());
    private static final ListenerConfig OPEN = new ListenerConfig("open", "127.0.0.1", 1883, true);
    private static final ListenerConfig CLOSED = ListenerConfig.tcp("closed", "0.0.0.0", 1884);

    @Test
    void shouldCheckCredentialsPresentedOnAnAnonymousListenerWhenAnythingCanUseThem()
    {
        final ListenerAccess both = new ListenerAccess(PASSWORDS, ACL);
        assertTrue(both.checksCredentials(false, false), "a closed listener checks everyone");
        assertFalse(both.checksCredentials(true, false), "no user name on an anonymous listener: admitted");
        assertTrue(both.checksCredentials(true, true), "a user name on an anonymous listener: checked");
        assertTrue(new ListenerAccess(Authenticator.DENY_ALL, ACL).checksCredentials(true, true),
            "an ACL but nothing to verify the name with: refused by the default authenticator");
        assertFalse(new ListenerAccess(Authenticator.DENY_ALL, Authorizer.DENY_ALL).checksCredentials(true, true),
            "no auth configured at all: the name means nothing and is accepted");
    }

    @Test
    void shouldLeaveAnonymousListenersUnrestrictedOnlyWithoutAnAuthorizer()
    {
        assertTrue(new ListenerAccess(Authenticator.DENY_ALL, Authorizer.DENY_ALL).unrestricted(true));
        assertTrue(new ListenerAccess(PASSWORDS, Authorizer.DENY_ALL).unrestricted(true));
        assertFalse(new ListenerAccess(PASSWORDS, ACL).unrestricted(true), "the ACL's anonymous rules apply");
        assertFalse(new ListenerAccess(Authenticator.DENY_ALL, ACL).unrestricted(true));
        assertFalse(new ListenerAccess(Authenticator.DENY_ALL, Authorizer.DENY_ALL).unrestricted(false));
        // the embedded allowAnonymous(): everything allowed, through the authorizer's fast path
        assertFalse(new ListenerAccess(Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL).unrestricted(true));
    }

    @Test
    void shouldDescribeEachListenerForTheStartLog()
    {
        final ListenerAccess both = new ListenerAccess(PASSWORDS, ACL);
        assertEquals("listener 'open' (tcp 127.0.0.1:1883): clients without a user name admitted under the anonymous"
            + " rules of ACL file acl.conf; a user name and password are checked by password file users.txt; rights"
            + " from ACL file acl.conf", both.describe(OPEN));
        assertEquals("listener 'closed' (tcp 0.0.0.0:1884): credentials required, checked by password file"
            + " users.txt; rights from ACL file acl.conf", both.describe(CLOSED));
        final ListenerAccess none = new ListenerAccess(Authenticator.DENY_ALL, Authorizer.DENY_ALL);
        assertEquals("listener 'open' (tcp 127.0.0.1:1883): clients without a user name admitted with full rights;"
            + " a user name is accepted unchecked", none.describe(OPEN));
        assertEquals("listener 'closed' (tcp 0.0.0.0:1884): every client refused (no authenticator); nothing allowed"
            + " (no authorizer)", none.describe(CLOSED));
        final ListenerAccess passwordsOnly = new ListenerAccess(PASSWORDS, Authorizer.ALLOW_ALL);
        assertEquals("listener 'closed' (tcp 0.0.0.0:1884): credentials required, checked by password file"
            + " users.txt; clients have full rights", passwordsOnly.describe(CLOSED));
        assertEquals("listener 'open' (tcp 127.0.0.1:1883): clients without a user name admitted under the anonymous"
            + " rules of ACL file acl.conf; a user name is refused (no authenticator can verify it); rights from ACL"
            + " file acl.conf", new ListenerAccess(Authenticator.DENY_ALL, ACL).describe(OPEN));
    }
}
