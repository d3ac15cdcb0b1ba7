package dev.tern.auth;

import dev.tern.broker.ClientInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AclFileTest
{
    private static final AclFile ACL = AclFile.of("acl", List.of(
        "# anonymous clients",
        "topic read public/#",
        "",
        "user alice",
        "topic readwrite alice/#",
        "topic read sensors/+/temp",
        "topic deny sensors/secret/temp",
        "topic write commands/alice",
        "",
        "user admin",
        "topic #",
        "",
        "pattern readwrite users/%u/#",
        "pattern write clients/%c/status",
        "pattern deny users/%u/blocked"));

    private static ClientInfo user(final String name, final String clientId)
    {
        return new ClientInfo(clientId, name, "/127.0.0.1:1", "tcp", 4);
    }

    @Test
    void shouldApplyUserRulesWithReadWriteAndDeny()
    {
        final ClientInfo alice = user("alice", "a1");
        assertTrue(ACL.canPublish(alice, "alice/x/y"));
        assertTrue(ACL.canSubscribe(alice, "alice/#"));
        assertTrue(ACL.canSubscribe(alice, "alice/+/y"));
        assertTrue(ACL.canSubscribe(alice, "sensors/kitchen/temp"));
        assertTrue(ACL.canSubscribe(alice, "sensors/+/temp"));
        assertFalse(ACL.canPublish(alice, "sensors/kitchen/temp"), "read only");
        assertFalse(ACL.canSubscribe(alice, "sensors/#"), "wider than the rule");
        assertFalse(ACL.canSubscribe(alice, "sensors/secret/temp"), "deny wins");
        assertFalse(ACL.canPublish(alice, "sensors/secret/temp"));
        assertTrue(ACL.canPublish(alice, "commands/alice"));
        assertFalse(ACL.canSubscribe(alice, "commands/alice"), "write only");
        assertFalse(ACL.canPublish(alice, "other"), "default deny");
    }

    @Test
    void shouldSubstituteUserAndClientIdInPatterns()
    {
        final ClientInfo bob = user("bob", "bob-phone");
        assertTrue(ACL.canPublish(bob, "users/bob/inbox"));
        assertTrue(ACL.canSubscribe(bob, "users/bob/#"));
        assertFalse(ACL.canSubscribe(bob, "users/alice/#"));
        assertFalse(ACL.canPublish(bob, "users/bob/blocked"), "pattern deny");
        assertTrue(ACL.canPublish(bob, "clients/bob-phone/status"));
        assertFalse(ACL.canPublish(bob, "clients/other/status"));
        // an identity with wildcard characters never widens a pattern
        final ClientInfo sneaky = user("+", "#");
        assertFalse(ACL.canSubscribe(sneaky, "users/x/y"));
        assertFalse(ACL.canPublish(sneaky, "clients/x/status"));
    }

    @Test
    void shouldGiveAnonymousClientsOnlyTheRulesBeforeTheFirstUser()
    {
        final ClientInfo anonymous = user(null, "anon");
        assertTrue(ACL.canSubscribe(anonymous, "public/news"));
        assertTrue(ACL.canSubscribe(anonymous, "public/#"));
        assertFalse(ACL.canPublish(anonymous, "public/news"));
        assertFalse(ACL.canPublish(anonymous, "users/x/y"), "%u never matches without a user name");
    }

    @Test
    void shouldKeepDollarTopicsAwayFromLeadingWildcards()
    {
        final ClientInfo admin = user("admin", "root");
        assertTrue(ACL.canSubscribe(admin, "#"));
        assertTrue(ACL.canPublish(admin, "any/thing"));
        assertFalse(ACL.canSubscribe(admin, "$SYS/#"), "[MQTT-4.7.2-1]");
    }

    @Test
    void shouldNameTheLineOfABadRule()
    {
        final AuthFileException keyword = assertThrows(AuthFileException.class,
            () -> AclFile.of("acl.conf", List.of("user a", "topik read x")));
        assertEquals("acl.conf line 2: unknown keyword 'topik' (expected user, topic or pattern)", keyword.getMessage());
        final AuthFileException filter = assertThrows(AuthFileException.class,
            () -> AclFile.of("acl.conf", List.of("topic read a/#/b")));
        assertEquals("acl.conf line 1: invalid topic filter 'a/#/b'", filter.getMessage());
        final AuthFileException empty = assertThrows(AuthFileException.class,
            () -> AclFile.of("acl.conf", List.of("user")));
        assertEquals("acl.conf line 1: 'user' needs a user name", empty.getMessage());
    }

    @Test
    void shouldMatchCoverageByLevels()
    {
        assertTrue(AclFile.covers("a/#".split("/"), "a".split("/"), false), "# includes the parent level");
        assertTrue(AclFile.covers("a/+".split("/"), "a/+".split("/"), true));
        assertFalse(AclFile.covers("a/b".split("/"), "a/+".split("/"), true));
        assertFalse(AclFile.covers("a/+".split("/"), "a/#".split("/"), true));
        assertTrue(AclFile.covers("a/#".split("/"), "a/+/c/#".split("/"), true));
        assertFalse(AclFile.covers("a/+".split("/"), "a/b/c".split("/"), false));
    }
}
