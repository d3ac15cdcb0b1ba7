package dev.tern.transport.nio;

import dev.tern.broker.TlsSettings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
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
 * server-mode engines. Key store based (PKCS12 or JKS); PEM files are not supported yet.
 */
final class TlsContexts
{
    private TlsContexts()
    {
    }

    static SSLContext serverContext(final TlsSettings settings)
    {
        if (settings.keyStore() == null)
        {
            throw new UnsupportedOperationException("PEM certificate/key files are not supported yet, use PKCS12");
        }
        try
        {
            final KeyStore keys = load(settings.keyStore(), settings.keyStorePassword());
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, settings.keyStorePassword());
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
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("cannot load TLS material " + settings + ": " + ex, ex);
        }
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
