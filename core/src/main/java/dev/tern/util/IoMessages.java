package dev.tern.util;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * I/O failures in words an operator reads: "file not found: /etc/tern/passwd", "port 1883 is already in use", never
 * a Java class name such as {@code java.nio.file.NoSuchFileException}.
 */
public final class IoMessages
{
    private IoMessages()
    {
    }

    /**
     * @param ex an I/O failure.
     * @return what went wrong, naming the file where there is one, without the exception's class name.
     */
    public static String describe(final IOException ex)
    {
        if (ex instanceof FileSystemException)
        {
            final FileSystemException fs = (FileSystemException)ex;
            final String file = fs.getFile();
            if (ex instanceof NoSuchFileException)
            {
                return "file not found: " + file;
            }
            if (ex instanceof AccessDeniedException)
            {
                return "permission denied: " + file;
            }
            if (ex instanceof NotDirectoryException)
            {
                return "not a directory: " + file;
            }
            if (ex instanceof FileAlreadyExistsException)
            {
                return "already exists: " + file;
            }
            final String reason = fs.getReason() == null ? "cannot be used" : lowerFirst(fs.getReason());
            return file == null ? reason : file + ": " + reason;
        }
        final String message = ex.getMessage();
        return message == null || message.isBlank() ? "I/O error" : lowerFirst(message);
    }

    /**
     * @param ex   a failure to bind a server socket.
     * @param port the port asked for.
     * @return e.g. "port 1883 is already in use", or the reason for another failure.
     */
    public static String describeBind(final IOException ex, final int port)
    {
        final String message = ex.getMessage() == null ? "" : ex.getMessage().toLowerCase(Locale.ROOT);
        if (ex instanceof BindException && message.contains("in use"))
        {
            return "port " + port + " is already in use";
        }
        if (ex instanceof BindException && message.contains("assign requested address"))
        {
            return "no network interface of this host has that address";
        }
        if (ex instanceof BindException && message.contains("permission denied"))
        {
            return "permission denied (ports below 1024 need privileges)";
        }
        return describe(ex);
    }

    private static String lowerFirst(final String text)
    {
        return text.length() > 1 && Character.isUpperCase(text.charAt(0)) && Character.isLowerCase(text.charAt(1)) ?
            Character.toLowerCase(text.charAt(0)) + text.substring(1) : text;
    }
}
