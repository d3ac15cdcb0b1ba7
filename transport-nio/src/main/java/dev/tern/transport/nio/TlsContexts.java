package dev.tern.transport.nio;

import dev.tern.broker.TlsSettings;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    private static final String CERTIFICATE_BEGIN = "-----BEGIN CERTIFICATE-----";
    private static final Pattern PEM_BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----");
    /** First byte of a DER certificate (an ASN.1 SEQUENCE), which the X.509 factory reads too. */
    private static final byte DER_SEQUENCE = 0x30;
    private static final byte[] KEY_PROBE = "tern key pair check".getBytes(StandardCharsets.US_ASCII);

    /**
     * @throws IllegalArgumentException naming the setting (as the config file spells it, e.g. {@code trustStore}) and
     *                                  the file when TLS material cannot be read or is unusable.
     */
    static SSLContext serverContext(final TlsSettings settings)
    {
        try
        {
            final KeyStore keys;
            final char[] keyPassword;
            if (settings.keyStore() != null)
            {
                keys = load(settings.keyStore(), settings.keyStorePassword(), "keyStore", "keyStorePassword");
                keyPassword = settings.keyStorePassword();
                checkKeyEntries(keys, keyPassword, settings.keyStore());
            }
            else
            {
                keyPassword = settings.keyStorePassword() == null ? NO_PASSWORD : settings.keyStorePassword();
                keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                final PrivateKey key = readPrivateKey(settings.privateKey());
                final Certificate[] chain = readCertificates(settings.certificateChain(), "certFile");
                if (!belongTogether(key, chain[0].getPublicKey()))
                {
                    throw new IllegalArgumentException("private key file " + settings.privateKey() +
                        " does not match the first certificate of " + settings.certificateChain() +
                        " (the server's own certificate must come first)");
                }
                keys.setKeyEntry("server", key, keyPassword, chain);
            }
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            try
            {
                kmf.init(keys, keyPassword);
            }
            catch (final UnrecoverableKeyException ex)
            {
                // the store opened, but a key in it is protected by another password
                throw new IllegalArgumentException("keyStore " + settings.keyStore() + ": its private key does not"
                    + " open with keyStorePassword (a key password that differs from the store's is not supported)",
                    ex);
            }
            TrustManager[] trust = null;
            if (settings.trustStore() != null)
            {
                final TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(settings.trustStore(), settings.trustStorePassword(), "trustStore",
                    "trustStorePassword"));
                trust = tmf.getTrustManagers();
            }
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), trust, null);
            return context;
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("cannot set up TLS with " + settings + ": " + ex, ex);
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

    /**
     * @param file    a PEM file of certificates (a DER certificate is read as well).
     * @param setting what the file is, for messages: {@code certFile} or {@code trustStore}.
     * @return the X.509 certificates of the file, in file order.
     */
    private static Certificate[] readCertificates(final Path file, final String setting)
    {
        final byte[] bytes = readBytes(file, setting);
        final String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (!text.contains(CERTIFICATE_BEGIN) && (bytes.length == 0 || bytes[0] != DER_SEQUENCE))
        {
            final Matcher other = PEM_BEGIN.matcher(text);
            throw new IllegalArgumentException(setting + " " + file + ": not a PEM certificate file (" +
                (other.find() ? "it holds a '" + other.group(1) + "' block, expected 'CERTIFICATE'" :
                    "no '" + CERTIFICATE_BEGIN + "' block") + ")");
        }
        final Collection<? extends Certificate> certificates;
        try
        {
            certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(bytes));
        }
        catch (final CertificateException ex)
        {
            Throwable cause = ex; // the parser wraps the useful message, e.g. "Illegal base64 character 21"
            while (cause.getCause() != null)
            {
                cause = cause.getCause();
            }
            throw new IllegalArgumentException(setting + " " + file + ": a certificate in it cannot be read (" +
                cause.getMessage() + ")", ex);
        }
        if (certificates.isEmpty())
        {
            throw new IllegalArgumentException(setting + " " + file + ": holds no certificate");
        }
        return certificates.toArray(new Certificate[0]);
    }

    /** @return the RSA or EC key of an unencrypted PEM PKCS#8 file. */
    static PrivateKey readPrivateKey(final Path file)
    {
        final String text = new String(readBytes(file, "keyFile"), StandardCharsets.ISO_8859_1);
        final int begin = text.indexOf(PKCS8_BEGIN);
        final int end = text.indexOf(PKCS8_END);
        if (begin < 0 || end < begin)
        {
            final String hint = text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY") ?
                " (PKCS#1/SEC1 format: convert with 'openssl pkcs8 -topk8 -nocrypt')" :
                text.contains("BEGIN ENCRYPTED PRIVATE KEY") ? " (encrypted keys are not supported)" : "";
            throw new IllegalArgumentException("keyFile " + file + ": no '" + PKCS8_BEGIN + "' block" + hint);
        }
        final byte[] der;
        try
        {
            der = Base64.getMimeDecoder().decode(text.substring(begin + PKCS8_BEGIN.length(), end));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("keyFile " + file + ": bad base64 (" + ex.getMessage() + ")", ex);
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
        throw new IllegalArgumentException("keyFile " + file + ": not an RSA or EC PKCS#8 key");
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

    /**
     * @param setting         what the file is, for messages: {@code keyStore} or {@code trustStore}.
     * @param passwordSetting the setting that holds its password.
     */
    private static KeyStore load(final Path path, final char[] password, final String setting,
        final String passwordSetting) throws IOException, GeneralSecurityException
    {
        final String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".pem") || name.endsWith(".crt") || name.endsWith(".cer"))
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            final Certificate[] certificates = readCertificates(path, setting);
            for (int i = 0; i < certificates.length; i++)
            {
                store.setCertificateEntry("trusted-" + i, certificates[i]);
            }
            return store;
        }
        final String type = name.endsWith(".jks") ? "JKS" : "PKCS12";
        final KeyStore store = KeyStore.getInstance(type);
        try
        {
            store.load(new ByteArrayInputStream(readBytes(path, setting)), password);
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            // PKCS12 and JKS report a failed integrity check (wrong password) as an IOException caused by this
            final boolean wrongPassword = ex.getCause() instanceof UnrecoverableKeyException;
            throw new IllegalArgumentException(setting + " " + path + ": " + (wrongPassword ?
                "wrong " + passwordSetting + ", or the file is damaged" :
                "not a readable " + type + " file (" + ex.getMessage() + ")"), ex);
        }
        return store;
    }

    private static byte[] readBytes(final Path file, final String setting)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new IllegalArgumentException(setting + " " + file + ": file not found", ex);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(setting + " " + file + ": cannot read (" + ex + ")", ex);
        }
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
