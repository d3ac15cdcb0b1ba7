package dev.tern.bridge;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

/** One readable line for why a bridge connection failed or ended. */
final class Failures
{
    private Failures()
    {
    }

    static String describe(final Throwable failure)
    {
        if (failure == null)
        {
            return "unknown reason";
        }
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            if (t instanceof CertificateException || t instanceof CertPathValidatorException
                || t.getClass().getName().endsWith("SunCertPathBuilderException"))
            {
                return "TLS handshake failed: the remote broker's certificate is not trusted (check tls.caFile): "
                    + t.getMessage();
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            if (t instanceof SSLHandshakeException || t instanceof SSLException)
            {
                return "TLS handshake failed: " + t.getMessage();
            }
            if (t instanceof ConnectException)
            {
                return "connection refused (" + t.getMessage() + ")";
            }
        }
        final String message = failure.getMessage();
        return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
