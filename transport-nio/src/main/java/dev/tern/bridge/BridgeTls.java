package dev.tern.bridge;

import com.hivemq.client.mqtt.MqttClientSslConfig;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

/** Builds the HiveMQ client's TLS settings of a bridge from PEM files, once, at start. */
final class BridgeTls
{
    private static final char[] NO_PASSWORD = new char[0];

    private BridgeTls()
    {
    }

    /**
     * @throws IllegalArgumentException naming the file that cannot be read or is not PEM.
     */
    static MqttClientSslConfig sslConfig(final BridgeConfig.Tls tls)
    {
        final var builder = MqttClientSslConfig.builder();
        try
        {
            if (tls.insecure())
            {
                builder.trustManagerFactory(insecureTrust()).hostnameVerifier((host, s) -> true);
            }
            else if (tls.caFile() != null)
            {
                final KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (final Certificate certificate : certificates(tls.caFile(), "caFile"))
                {
                    trust.setCertificateEntry("ca-" + i++, certificate);
                }
                final TrustManagerFactory tmf = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
                builder.trustManagerFactory(tmf);
            }
            if (tls.certFile() != null)
            {
                final KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", privateKey(tls.keyFile()), NO_PASSWORD,
                    certificates(tls.certFile(), "certFile").toArray(new Certificate[0]));
                final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, NO_PASSWORD);
                builder.keyManagerFactory(kmf);
            }
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalArgumentException("bridge TLS: " + ex.getMessage(), ex);
        }
        return builder.build();
    }

    /** Trusts any certificate: {@code tls.insecure}, for tests against self-signed brokers only. */
    private static TrustManagerFactory insecureTrust()
    {
        final javax.net.ssl.X509TrustManager trustAll = new javax.net.ssl.X509TrustManager()
        {
            @Override
            public void checkClientTrusted(final java.security.cert.X509Certificate[] chain, final String authType)
            {
            }

            @Override
            public void checkServerTrusted(final java.security.cert.X509Certificate[] chain, final String authType)
            {
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers()
            {
                return new java.security.cert.X509Certificate[0];
            }
        };
        return new TrustManagerFactory(new javax.net.ssl.TrustManagerFactorySpi()
        {
            @Override
            protected void engineInit(final KeyStore keyStore)
            {
            }

            @Override
            protected void engineInit(final javax.net.ssl.ManagerFactoryParameters parameters)
            {
            }

            @Override
            protected javax.net.ssl.TrustManager[] engineGetTrustManagers()
            {
                return new javax.net.ssl.TrustManager[] {trustAll};
            }
        }, null, "insecure")
        {
        };
    }

    private static Collection<? extends Certificate> certificates(final Path file, final String setting)
        throws IOException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final Collection<? extends Certificate> certificates =
                CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty())
            {
                throw new IllegalArgumentException("bridge TLS " + setting + " " + file + ": no certificate");
            }
            return certificates;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("bridge TLS " + setting + " " + file + ": not a PEM certificate: "
                + ex.getMessage(), ex);
        }
    }

    private static PrivateKey privateKey(final Path file) throws IOException
    {
        final String text = Files.readString(file, StandardCharsets.US_ASCII);
        final int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        final int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin)
        {
            throw new IllegalArgumentException("bridge TLS keyFile " + file + ": expected an unencrypted PKCS#8 PEM key"
                + " (-----BEGIN PRIVATE KEY-----)");
        }
        final byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (final String algorithm : new String[] {"EC", "RSA", "Ed25519"})
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            }
            catch (final GeneralSecurityException tryNext)
            {
                // another algorithm
            }
        }
        throw new IllegalArgumentException("bridge TLS keyFile " + file + ": unsupported key");
    }
}
