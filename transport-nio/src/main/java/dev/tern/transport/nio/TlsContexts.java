package dev.tern.transport.nio;

import dev.tern.broker.TlsSettings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Locale;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the server {@link SSLContext} of a TLS or WSS listener from {@link TlsSettings} and creates configured
 * server-mode engines. The server key comes from a PKCS12 (or JKS) key store, or from a PEM certificate chain (leaf
 * first) and an unencrypted PEM PKCS#8 private key ({@code BEGIN PRIVATE KEY}, RSA or EC). A trust store whose name
 * ends in {@code .pem}, {@code .crt} or {@code .cer} is read as PEM certificates.
 */
final class TlsContexts
{
    private TlsContexts()
    {
    }

    private static final char[] NO_PASSWORD = new char[0];
    private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PKCS8_END = "-----END PRIVATE KEY-----";
    private static final byte[] KEY_PROBE = "tern key pair check".getBytes(StandardCharsets.US_ASCII);

    /**
     * @throws IllegalArgumentException naming the file when TLS material cannot be read or is unusable.
     */
    static SSLContext serverContext(final TlsSettings settings)
    {
        try
        {
            final KeyStore keys;
            final char[] keyPassword;
            if (settings.keyStore() != null)
            {
                keys = load(settings.keyStore(), settings.keyStorePassword());
                keyPassword = settings.keyStorePassword();
                checkKeyEntries(keys, keyPassword, settings.keyStore());
            }
            else
            {
                keyPassword = settings.keyStorePassword() == null ? NO_PASSWORD : settings.keyStorePassword();
                keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                final PrivateKey key = readPrivateKey(settings.privateKey());
                final Certificate[] chain = readCertificates(settings.certificateChain());
                if (!belongTogether(key, chain[0].getPublicKey()))
                {
                    throw new IllegalArgumentException("private key file " + settings.privateKey() +
                        " does not match the first certificate of " + settings.certificateChain() +
                        " (the server's own certificate must come first)");
                }
                keys.setKeyEntry("server", key, keyPassword, chain);
            }
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, keyPassword);
            TrustManager[] trust = null;
            if (settings.trustStore() != null)
            {
                final TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(settings.trustStore(), settings.trustStorePassword()));
                trust = tmf.getTrustManagers();
            }
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), trust, null);
            return context;
        }
        catch (final NoSuchFileException ex)
        {
            throw new IllegalArgumentException("TLS file not found: " + ex.getFile(), ex);
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("cannot load TLS material " + settings + ": " + ex, ex);
        }
    }

    /**
     * Every key entry's private key must belong to its certificate: otherwise every handshake would fail later,
     * with nothing logged.
     */
    private static void checkKeyEntries(final KeyStore keys, final char[] password, final Path file)
        throws GeneralSecurityException
    {
        for (final String alias : Collections.list(keys.aliases()))
        {
            if (keys.isKeyEntry(alias) && keys.getKey(alias, password) instanceof PrivateKey key)
            {
                final Certificate certificate = keys.getCertificate(alias);
                if (certificate != null && !belongTogether(key, certificate.getPublicKey()))
                {
                    throw new IllegalArgumentException("key store " + file + ": the private key of entry '" + alias +
                        "' does not match its certificate");
                }
            }
        }
    }

    /**
     * Sign a probe with the private key and verify it with the public key (works for EC, where the public key cannot
     * simply be compared).
     *
     * @return whether the two keys are a pair; true for a key type this check does not know (the handshake decides).
     */
    static boolean belongTogether(final PrivateKey privateKey, final PublicKey publicKey)
    {
        if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm()))
        {
            return false;
        }
        final String algorithm = switch (privateKey.getAlgorithm())
        {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "EdDSA", "Ed25519", "Ed448" -> privateKey.getAlgorithm();
            default -> null;
        };
        if (algorithm == null)
        {
            return true;
        }
        try
        {
            final Signature signature = Signature.getInstance(algorithm);
            signature.initSign(privateKey);
            signature.update(KEY_PROBE);
            final byte[] signed = signature.sign();
            signature.initVerify(publicKey);
            signature.update(KEY_PROBE);
            return signature.verify(signed);
        }
        catch (final GeneralSecurityException ex)
        {
            return false; // e.g. EC keys on different curves
        }
    }

    /** @return the X.509 certificates of a PEM file, in file order. */
    static Certificate[] readCertificates(final Path file) throws IOException
    {
        final Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(file))
        {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        catch (final CertificateException ex)
        {
            throw new IllegalArgumentException("certificate file " + file + " is not valid PEM/DER X.509: " +
                ex.getMessage(), ex);
        }
        if (certificates.isEmpty())
        {
            throw new IllegalArgumentException("certificate file " + file + " holds no certificate");
        }
        return certificates.toArray(new Certificate[0]);
    }

    /** @return the RSA or EC key of an unencrypted PEM PKCS#8 file. */
    static PrivateKey readPrivateKey(final Path file) throws IOException
    {
        final String text = Files.readString(file, StandardCharsets.US_ASCII);
        final int begin = text.indexOf(PKCS8_BEGIN);
        final int end = text.indexOf(PKCS8_END);
        if (begin < 0 || end < begin)
        {
            final String hint = text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY") ?
                " (PKCS#1/SEC1 format: convert with 'openssl pkcs8 -topk8 -nocrypt')" :
                text.contains("BEGIN ENCRYPTED PRIVATE KEY") ? " (encrypted keys are not supported)" : "";
            throw new IllegalArgumentException("private key file " + file + " has no '" + PKCS8_BEGIN + "' block" +
                hint);
        }
        final byte[] der;
        try
        {
            der = Base64.getMimeDecoder().decode(text.substring(begin + PKCS8_BEGIN.length(), end));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("private key file " + file + " has bad base64: " + ex.getMessage(), ex);
        }
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (final String algorithm : new String[] {"RSA", "EC"})
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            }
            catch (final InvalidKeySpecException | java.security.NoSuchAlgorithmException ex)
            {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("private key file " + file + " is not an RSA or EC PKCS#8 key");
    }

    static SSLEngine serverEngine(final SSLContext context, final TlsSettings settings)
    {
        final SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(settings.protocols().toArray(new String[0]));
        switch (settings.clientAuth())
        {
            case REQUIRED -> engine.setNeedClientAuth(true);
            case OPTIONAL -> engine.setWantClientAuth(true);
            default ->
            {
            }
        }
        return engine;
    }

    private static KeyStore load(final Path path, final char[] password) throws IOException, GeneralSecurityException
    {
        final String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".pem") || name.endsWith(".crt") || name.endsWith(".cer"))
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            final Certificate[] certificates = readCertificates(path);
            for (int i = 0; i < certificates.length; i++)
            {
                store.setCertificateEntry("trusted-" + i, certificates[i]);
            }
            return store;
        }
        final KeyStore store = KeyStore.getInstance(name.endsWith(".jks") ? "JKS" : "PKCS12");
        try (InputStream in = Files.newInputStream(path))
        {
            store.load(in, password);
        }
        return store;
    }

    /** @return the subject CN of a certificate, or {@code null}. */
    static String commonName(final X509Certificate certificate)
    {
        try
        {
            for (final Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns())
            {
                if ("CN".equalsIgnoreCase(rdn.getType()))
                {
                    return String.valueOf(rdn.getValue());
                }
            }
        }
        catch (final InvalidNameException ex)
        {
            return null;
        }
        return null;
    }
}
