package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerHooks;
import dev.tern.codec.ReasonCode;
import dev.tern.ring.RingProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CONNACK refusal is one MQTT 5.0 reason code inside the broker; a 3.1.1 client hears the 3.1.1 return code that
 * says the same (section 3.2.2.3: only 1 to 5 are defined), whatever code the authenticator returned.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnackCodeTest
{
    private static final long C1 = RingProtocol.connectionId(1, 0);

    private Broker broker;

    @AfterEach
    void stop()
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void shouldAnswerA311ClientWithA311ReturnCodeWhenTheAuthenticatorGivesA5ReasonCode()
    {
        final EgressPackets out = start((client, password) -> ReasonCode.BANNED);
        connect(4);
        out.assertPacket(C1, 0x20, 0x02, 0x00, 0x05);       // CONNACK, refused: not authorised (not 0x8A)
        out.assertClose(C1);
    }

    @Test
    void shouldAnswerA311ClientWithServerUnavailableForAnUndefinedReturnCode()
    {
        final EgressPackets out = start((client, password) -> 7);
        connect(4);
        out.assertPacket(C1, 0x20, 0x02, 0x00, 0x03);       // CONNACK, refused: server unavailable (not 7)
        out.assertClose(C1);
    }

    @Test
    void shouldAnswerA5ClientWithTheReasonCodeOfA311ReturnCode()
    {
        final EgressPackets out = start((client, password) -> Authenticator.BAD_USERNAME_OR_PASSWORD);
        connect(5);
        final EgressPackets.Received connack = out.next();
        assertEquals(0x20, connack.bytes()[0] & 0xFF);
        assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, connack.bytes()[3] & 0xFF);
        out.assertClose(C1);
    }

    @Test
    void shouldMapEveryCodeBothWays()
    {
        final int[][] pairs =
        {
            {0, ReasonCode.SUCCESS},
            {1, ReasonCode.UNSUPPORTED_PROTOCOL_VERSION},
            {2, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID},
            {3, ReasonCode.SERVER_UNAVAILABLE},
            {4, ReasonCode.BAD_USER_NAME_OR_PASSWORD},
            {5, ReasonCode.NOT_AUTHORIZED},
        };
        for (final int[] pair : pairs)
        {
            assertEquals(pair[1], ReasonCode.ofConnackReturnCode(pair[0]));
            assertEquals(pair[0], ReasonCode.connackReturnCode(pair[1]));
        }
        assertEquals(ReasonCode.UNSPECIFIED_ERROR, ReasonCode.ofConnackReturnCode(6));
        assertEquals(ReasonCode.BANNED, ReasonCode.ofConnackReturnCode(ReasonCode.BANNED));
        assertEquals(3, ReasonCode.connackReturnCode(ReasonCode.SERVER_BUSY));
        assertEquals(5, ReasonCode.connackReturnCode(ReasonCode.BANNED));
        assertEquals(3, ReasonCode.connackReturnCode(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR));
    }

    private EgressPackets start(final Authenticator authenticator)
    {
        broker = RingBrokers.broker(authenticator, Authorizer.ALLOW_ALL, BrokerHooks.NONE, null);
        final EgressPackets out = new EgressPackets(broker.egress(0), 10);
        broker.start();
        return out;
    }

    private void connect(final int level)
    {
        assertTrue(IngressFrames.open(broker.ingress(), C1, "/127.0.0.1:40000"));
        final byte[] connect = level == 5 ? new byte[]
        {
            0x10, 0x0E,                                     // CONNECT, remaining length 14
            0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,           // protocol name, level 5
            0x02, 0x00, 0x3C,                               // clean start, keep alive 60 s
            0x00,                                           // no properties
            0x00, 0x01, 'c'                                 // client id "c"
        } : new byte[]
        {
            0x10, 0x0D,                                     // CONNECT, remaining length 13
            0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,           // protocol name, level 4
            0x02, 0x00, 0x3C,                               // clean session, keep alive 60 s
            0x00, 0x01, 'c'                                 // client id "c"
        };
        assertTrue(IngressFrames.frame(broker.ingress(), C1, connect));
    }
}
