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
    void shouldSubstituteUserAndClientIdInOnePass()
    {
        final AclFile acl = AclFile.of("acl", List.of(
            "user carol",
            "topic readwrite #",
            "pattern readwrite users/%u/#",
            "pattern read clients/%c/%u"));
        // a user literally named %c, connecting as client alice: the name is not substituted again
        final ClientInfo percentC = user("%c", "alice");
        assertFalse(acl.canSubscribe(percentC, "users/alice/#"), "the client id must not reach into %u");
        assertFalse(acl.canPublish(percentC, "users/alice/x"));
        assertTrue(acl.canSubscribe(percentC, "users/%c/#"), "the name is taken literally");
        // the other way round: a client id of %u does not pick up the user name
        final ClientInfo percentU = user("bob", "%u");
        assertFalse(acl.canSubscribe(percentU, "clients/bob/bob"));
        assertTrue(acl.canSubscribe(percentU, "clients/%u/bob"));
        final ClientInfo both = user("%u", "%c");
        assertTrue(acl.canSubscribe(both, "clients/%c/%u"));
        assertFalse(acl.canSubscribe(both, "clients/%u/%c"));
        // mid-level substitution still works, and an identity with '/' never widens it
        assertTrue(AclFile.of("acl", List.of("pattern read a/x-%u-%c")).canSubscribe(user("b", "c"), "a/x-b-c"));
        assertFalse(AclFile.of("acl", List.of("pattern read a/x-%u")).canSubscribe(user("b/c", "c"), "a/x-b/c"));
    }

    @Test
    void shouldRefuseAnUnknownAccessWordOrAMissingFilter()
    {
        final AuthFileException typo = assertThrows(AuthFileException.class,
            () -> AclFile.of("acl.conf", List.of("user alice", "topic raed public/#")));
        assertEquals("acl.conf line 2: unknown access 'raed' (expected read, write, readwrite or deny)",
            typo.getMessage());
        final AuthFileException patternTypo = assertThrows(AuthFileException.class,
            () -> AclFile.of("acl.conf", List.of("pattern wrte users/%u/#")));
        assertEquals("acl.conf line 1: unknown access 'wrte' (expected read, write, readwrite or deny)",
            patternTypo.getMessage());
        for (final String access : List.of("read", "write", "readwrite", "deny", "READ"))
        {
            final AuthFileException bare = assertThrows(AuthFileException.class,
                () -> AclFile.of("acl.conf", List.of("# rules", "user bob", "topic " + access)), access);
            assertEquals("acl.conf line 3: missing topic filter after '" + access + "'", bare.getMessage());
        }
        final AuthFileException noRule = assertThrows(AuthFileException.class,
            () -> AclFile.of("acl.conf", List.of("pattern")));
        assertEquals("acl.conf line 1: missing topic filter", noRule.getMessage());
        // what stays valid: a bare filter means readwrite, and a filter may contain a space after the access word
        final AclFile valid = AclFile.of("acl.conf", List.of("topic a/b", "topic read c d/#", "topic \tdeny\t e"));
        final ClientInfo anonymous = user(null, "x");
        assertTrue(valid.canPublish(anonymous, "a/b"));
        assertTrue(valid.canSubscribe(anonymous, "c d/x"));
        assertFalse(valid.canPublish(anonymous, "e"));
    }

    @Test
    void shouldNameItsSource()
    {
        assertEquals("ACL file acl.conf", AclFile.of("acl.conf", List.of()).toString());
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
