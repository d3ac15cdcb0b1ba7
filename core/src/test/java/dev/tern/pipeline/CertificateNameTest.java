package dev.tern.pipeline;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The transport appends {@code ;cn=<CN>} to the remote address of a client with a verified certificate; the route
 * stage reads the name back and keeps address accounting on the host part.
 */
class CertificateNameTest
{
    @Test
    void shouldReadCommonNameSuffix()
    {
        assertEquals("alice", RouteStage.certificateName("/127.0.0.1:5000;cn=alice"));
        assertEquals("alice", RouteStage.certificateName("/[::1]:5000;cn=alice;other=x"));
    }

    @Test
    void shouldReturnNullWithoutSuffix()
    {
        assertNull(RouteStage.certificateName("/127.0.0.1:5000"));
        assertNull(RouteStage.certificateName(null));
    }

    @Test
    void shouldCountAddressWithoutTheSuffix()
    {
        assertEquals("/127.0.0.1", RouteStage.hostOf("/127.0.0.1:5000;cn=alice"));
    }
}
