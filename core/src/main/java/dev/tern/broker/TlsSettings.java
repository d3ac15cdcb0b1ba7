package dev.tern.broker;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * TLS material and policy of a TLS or WSS listener. Either a PKCS12 (or JKS) key store, or a PEM certificate chain
 * plus a PEM PKCS#8 private key.
 *
 * @param keyStore           key store file holding the server key and certificate chain, or {@code null} with PEM.
 * @param keyStorePassword   key store (and key) password, may be {@code null} for PEM.
 * @param certificateChain   PEM certificate chain file, or {@code null} with a key store.
 * @param privateKey         PEM PKCS#8 private key file, or {@code null} with a key store.
 * @param protocols          enabled protocols, default {@code TLSv1.3, TLSv1.2}.
 * @param clientAuth         whether client certificates are ignored, requested or required.
 * @param trustStore         trust store used to verify client certificates, {@code null} for the JDK default.
 * @param trustStorePassword trust store password, may be {@code null}.
 */
public record TlsSettings(
    Path keyStore,
    char[] keyStorePassword,
    Path certificateChain,
    Path privateKey,
    List<String> protocols,
    ClientAuth clientAuth,
    Path trustStore,
    char[] trustStorePassword)
{
    /** Default enabled protocols. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Client certificate policy (mTLS). */
    public enum ClientAuth
    {
        NONE, OPTIONAL, REQUIRED
    }

    public TlsSettings
    {
        if (keyStore == null && (certificateChain == null || privateKey == null))
        {
            throw new IllegalArgumentException("TLS needs a key store or a PEM certificate chain and private key");
        }
        protocols = protocols == null || protocols.isEmpty() ? DEFAULT_PROTOCOLS : List.copyOf(protocols);
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
    }

    /** @return settings from a PKCS12 key store, default protocols, no client certificates. */
    public static TlsSettings pkcs12(final Path keyStore, final char[] password)
    {
        Objects.requireNonNull(keyStore, "keyStore");
        return new TlsSettings(keyStore, password, null, null, DEFAULT_PROTOCOLS, ClientAuth.NONE, null, null);
    }

    /** @return settings from PEM files, default protocols, no client certificates. */
    public static TlsSettings pem(final Path certificateChain, final Path privateKey)
    {
        return new TlsSettings(null, null, certificateChain, privateKey, DEFAULT_PROTOCOLS, ClientAuth.NONE, null, null);
    }

    /** @return a copy with the given client certificate policy and trust store. */
    public TlsSettings withClientAuth(final ClientAuth auth, final Path trustStore, final char[] trustStorePassword)
    {
        return new TlsSettings(keyStore, keyStorePassword, certificateChain, privateKey, protocols, auth,
            trustStore, trustStorePassword);
    }

    /** @return a copy with the given enabled protocols. */
    public TlsSettings withProtocols(final List<String> enabled)
    {
        return new TlsSettings(keyStore, keyStorePassword, certificateChain, privateKey, enabled, clientAuth,
            trustStore, trustStorePassword);
    }

    @Override
    public String toString()
    {
        return "TlsSettings[keyStore=" + keyStore + ", certificateChain=" + certificateChain + ", protocols="
            + protocols + ", clientAuth=" + clientAuth + ", trustStore=" + trustStore + "]";
    }
}
