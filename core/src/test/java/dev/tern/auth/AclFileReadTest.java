package dev.tern.auth;

import dev.tern.broker.ClientInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Read rights per message and which granted filters need them checked, with the ACL of the Mosquitto comparison. */
class AclFileReadTest
{
    private static final AclFile ACL = AclFile.of("acl", List.of(
        "user alice",
        "topic read public/#",
        "topic deny public/secret/#",
        "topic read private/alice/#",
        "user bob",
        "topic read public/#",
        "user carol",
        "topic readwrite #",
        "pattern readwrite users/%u/#",
        "pattern deny users/%u/blocked"));

    private static ClientInfo user(final String name)
    {
        return new ClientInfo(name + "-1", name, "/127.0.0.1:1", "tcp", 4);
    }

    @Test
    void shouldLetADenyRuleWinForEachTopicRead()
    {
        final ClientInfo alice = user("alice");
        assertTrue(ACL.canSubscribe(alice, "public/#"), "the deny is narrower than the filter");
        assertTrue(ACL.canRead(alice, "public/x"));
        assertFalse(ACL.canRead(alice, "public/secret/x"), "deny wins per message");
        assertFalse(ACL.canRead(alice, "public/secret"), "'#' also matches the parent level");
        assertTrue(ACL.canRead(alice, "private/alice/x"));
        assertFalse(ACL.canRead(alice, "private/bob/x"), "default deny");
        assertTrue(ACL.canRead(user("bob"), "public/secret/x"));
        assertFalse(ACL.canRead(user("bob"), "private/alice/x"));
        assertTrue(ACL.canRead(user("carol"), "anything/at/all"));
        assertFalse(ACL.canRead(user("carol"), "$SYS/broker/uptime"), "'#' does not reach $ topics");
        assertTrue(ACL.canRead(user("dave"), "users/dave/inbox"), "pattern");
        assertFalse(ACL.canRead(user("dave"), "users/dave/blocked"), "pattern deny");
        assertFalse(ACL.canRead(new ClientInfo("anon", null, "/127.0.0.1:1", "tcp", 4), "public/x"));
    }

    @Test
    void shouldAskForPerMessageChecksOnlyWhereADenyOrAGapCanBeMet()
    {
        final ClientInfo alice = user("alice");
        assertTrue(ACL.needsReadCheck(alice, "public/#"), "meets public/secret/#");
        assertTrue(ACL.needsReadCheck(alice, "public/+"), "public/secret is denied too");
        assertTrue(ACL.needsReadCheck(alice, "+/secret/x"), "not covered by one read rule");
        assertFalse(ACL.needsReadCheck(alice, "public/news/#"));
        assertFalse(ACL.needsReadCheck(alice, "public/x"));
        assertFalse(ACL.needsReadCheck(alice, "private/alice/#"));
        assertFalse(ACL.needsReadCheck(user("bob"), "public/#"));
        assertTrue(ACL.needsReadCheck(user("carol"), "#"), "meets users/carol/blocked, a pattern deny");
        assertFalse(ACL.needsReadCheck(user("carol"), "other/#"));
        assertTrue(ACL.needsReadCheck(user("dave"), "users/dave/#"), "meets the pattern deny");
        assertFalse(ACL.needsReadCheck(user("dave"), "users/dave/inbox/+"));
    }

    @Test
    void shouldTellWhetherTwoFiltersShareATopic()
    {
        assertTrue(intersects("a/#", "a"));
        assertTrue(intersects("a/+", "+/b"));
        assertTrue(intersects("#", "x/y/z"));
        assertTrue(intersects("a/+/c", "a/b/#"));
        assertFalse(intersects("a/+", "a/b/c"));
        assertFalse(intersects("a/b", "a/c"));
        assertFalse(intersects("a", "a/b"));
        assertFalse(intersects("#", "$SYS/x"), "a leading wildcard meets no $ topic");
        assertFalse(intersects("+/x", "$SYS/x"));
        assertTrue(intersects("$SYS/#", "$SYS/+/x"));
    }

    private static boolean intersects(final String a, final String b)
    {
        final boolean result = AclFile.intersects(a.split("/", -1), b.split("/", -1));
        assertTrue(result == AclFile.intersects(b.split("/", -1), a.split("/", -1)), "symmetric for " + a + ", " + b);
        return result;
    }
}
