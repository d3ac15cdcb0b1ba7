package dev.tern.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IoMessagesTest
{
    @TempDir
    Path dir;

    @Test
    void shouldNameAMissingFileWithoutTheExceptionClass()
    {
        final Path missing = dir.resolve("passwd");
        final IOException ex = assertThrows(NoSuchFileException.class, () -> Files.readAllBytes(missing));

        assertEquals("file not found: " + missing, IoMessages.describe(ex));
    }

    @Test
    void shouldSayWhichPortIsInUse() throws IOException
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final int port = taken.getLocalPort();
            try (ServerSocket second = new ServerSocket())
            {
                final IOException ex = assertThrows(BindException.class,
                    () -> second.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));

                assertEquals("port " + port + " is already in use", IoMessages.describeBind(ex, port));
            }
        }
    }

    @Test
    void shouldLowerTheFirstLetterOfAPlainMessage()
    {
        assertEquals("connection reset", IoMessages.describe(new IOException("Connection reset")));
        assertEquals("I/O error", IoMessages.describe(new IOException()));
    }
}
