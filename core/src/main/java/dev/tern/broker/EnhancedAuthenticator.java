package dev.tern.broker;

/**
 * MQTT 5.0 enhanced authentication (section 4.12): challenge/response exchanges such as SCRAM or Kerberos, carried by
 * the CONNECT's Authentication Method and Data and then by AUTH packets. An {@link Authenticator} that also implements
 * this interface handles CONNECTs naming a method it {@link #supports}; a CONNECT naming another method is refused with
 * CONNACK 0x8C (Bad authentication method). The same exchange serves re-authentication (AUTH 0x19) on a connected
 * client.
 * <p>
 * Called on the routing thread, like {@link Authenticator}: steps must be quick and must not block.
 */
public interface EnhancedAuthenticator
{
    /** @return whether this authenticator runs exchanges for the named Authentication Method. */
    boolean supports(String method);

    /**
     * Start an exchange for a client; {@link AuthExchange#step} is then called with the CONNECT's (or the re-
     * authenticating AUTH's) Authentication Data.
     *
     * @param client the client as identified by its CONNECT.
     * @param method the Authentication Method it named.
     * @return the exchange's state, used for this client only.
     */
    AuthExchange begin(ClientInfo client, String method);

    /** The state of one client's exchange. */
    @FunctionalInterface
    interface AuthExchange
    {
        /**
         * @param data the Authentication Data the client sent in this step, or null if it sent none.
         * @return what to answer: {@link AuthStep#challenge}, {@link AuthStep#success} or {@link AuthStep#failure}.
         */
        AuthStep step(byte[] data);
    }

    /** What one step of an exchange decided. */
    final class AuthStep
    {
        /** Send the data in an AUTH (0x18, Continue authentication) and wait for the client's answer. */
        public static final int CONTINUE = 0;
        /** Authenticated: CONNACK 0x00 (or AUTH 0x00 after re-authentication), with the data if any. */
        public static final int SUCCESS = 1;
        /** Refused: CONNACK (or DISCONNECT after re-authentication) with the reason code. */
        public static final int FAILURE = 2;

        private final int outcome;
        private final byte[] data;
        private final int reasonCode;

        private AuthStep(final int outcome, final byte[] data, final int reasonCode)
        {
            this.outcome = outcome;
            this.data = data;
            this.reasonCode = reasonCode;
        }

        /** @param data the challenge to send in Authentication Data, or null. */
        public static AuthStep challenge(final byte[] data)
        {
            return new AuthStep(CONTINUE, data, 0x18);
        }

        /** @param data final Authentication Data to send with the success (e.g. a server signature), or null. */
        public static AuthStep success(final byte[] data)
        {
            return new AuthStep(SUCCESS, data, 0x00);
        }

        /** @param reasonCode a CONNACK/DISCONNECT failure code, e.g. 0x87 Not authorized or 0x86 Bad user name or password. */
        public static AuthStep failure(final int reasonCode)
        {
            if (reasonCode < 0x80 || reasonCode > 0xFF)
            {
                throw new IllegalArgumentException("not a failure reason code: " + reasonCode);
            }
            return new AuthStep(FAILURE, null, reasonCode);
        }

        public int outcome()
        {
            return outcome;
        }

        public byte[] data()
        {
            return data;
        }

        public int reasonCode()
        {
            return reasonCode;
        }
    }
}
