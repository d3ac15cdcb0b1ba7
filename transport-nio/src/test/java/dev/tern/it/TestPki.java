package dev.tern.it;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority for the TLS tests: a CA, server certificates for {@code localhost} and
 * {@code 127.0.0.1}, client certificates with a chosen CN, written as PKCS12 or PEM files.
 */
final class TestPki
{
    static final char[] PASSWORD = "changeit".toCharArray();

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    /** A key pair and its certificate. */
    record Issued(KeyPair keys, X509Certificate certificate)
    {
    }

    final Issued ca;

    TestPki() throws Exception
    {
        final KeyPair keys = ecKeys();
        final X500Name name = new X500Name("CN=Tern Test CA");
        final JcaX509v3CertificateBuilder builder = builder(name, name, keys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        ca = new Issued(keys, sign(builder, keys));
    }

    /** @param rsa an RSA 2048 key instead of EC P-256. */
    Issued server(final boolean rsa) throws Exception
    {
        final KeyPair keys = rsa ? rsaKeys() : ecKeys();
        final JcaX509v3CertificateBuilder builder = builder(issuerName(), new X500Name("CN=localhost"), keys);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return new Issued(keys, sign(builder, ca.keys()));
    }

    Issued client(final String commonName) throws Exception
    {
        final KeyPair keys = ecKeys();
        final JcaX509v3CertificateBuilder builder = builder(issuerName(), new X500Name("CN=" + commonName), keys);
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return new Issued(keys, sign(builder, ca.keys()));
    }

    /** @return a PKCS12 file with the key and its chain (leaf, CA). */
    Path pkcs12(final Path dir, final String name, final Issued issued) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(name, issued.keys().getPrivate(), PASSWORD,
            new Certificate[] {issued.certificate(), ca.certificate()});
        return save(store, dir.resolve(name + ".p12"));
    }

    /** @return a PKCS12 trust store holding the CA certificate. */
    Path trustStore(final Path dir) throws Exception
    {
        return save(trust(), dir.resolve("ca-trust.p12"));
    }

    /** @return a PEM file with the chain: leaf then CA. */
    Path pemChain(final Path dir, final String name, final Issued issued) throws Exception
    {
        final Path file = dir.resolve(name + "-chain.pem");
        Files.writeString(file, pem("CERTIFICATE", issued.certificate().getEncoded()) +
            pem("CERTIFICATE", ca.certificate().getEncoded()), StandardCharsets.US_ASCII);
        return file;
    }

    /** @return an unencrypted PKCS#8 PEM file with the private key. */
    Path pemKey(final Path dir, final String name, final Issued issued) throws Exception
    {
        final Path file = dir.resolve(name + "-key.pem");
        Files.writeString(file, pem("PRIVATE KEY", issued.keys().getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        return file;
    }

    /** @return a PEM file with the CA certificate. */
    Path pemCa(final Path dir) throws Exception
    {
        final Path file = dir.resolve("ca.pem");
        Files.writeString(file, pem("CERTIFICATE", ca.certificate().getEncoded()), StandardCharsets.US_ASCII);
        return file;
    }

    TrustManagerFactory trustManagers() throws Exception
    {
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust());
        return tmf;
    }

    KeyManagerFactory keyManagers(final Issued issued) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", issued.keys().getPrivate(), PASSWORD,
            new Certificate[] {issued.certificate(), ca.certificate()});
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, PASSWORD);
        return kmf;
    }

    /**
     * @param client certificate to present, or null.
     * @return a client context trusting the CA.
     */
    SSLContext clientContext(final Issued client) throws Exception
    {
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(client == null ? null : keyManagers(client).getKeyManagers(), trustManagers().getTrustManagers(),
            null);
        return context;
    }

    private KeyStore trust() throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", ca.certificate());
        return store;
    }

    private X500Name issuerName()
    {
        return new X500Name(ca.certificate().getSubjectX500Principal().getName());
    }

    private static JcaX509v3CertificateBuilder builder(final X500Name issuer, final X500Name subject, final KeyPair keys)
    {
        final long nowMs = System.currentTimeMillis();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
            new Date(nowMs - TimeUnit.HOURS.toMillis(1)), new Date(nowMs + TimeUnit.DAYS.toMillis(2)), subject,
            keys.getPublic());
    }

    private static X509Certificate sign(final JcaX509v3CertificateBuilder builder, final KeyPair signer)
        throws Exception
    {
        final String algorithm = "EC".equals(signer.getPrivate().getAlgorithm()) ? "SHA256withECDSA" :
            "SHA256withRSA";
        return new JcaX509CertificateConverter()
            .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signer.getPrivate())));
    }

    private static KeyPair ecKeys() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static KeyPair rsaKeys() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static Path save(final KeyStore store, final Path file) throws Exception
    {
        try (OutputStream out = Files.newOutputStream(file))
        {
            store.store(out, PASSWORD);
        }
        return file;
    }

    private static String pem(final String type, final byte[] der)
    {
        return "-----BEGIN " + type + "-----\n" +
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) +
            "\n-----END " + type + "-----\n";
    }
}
