package dev.tern.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a password or ACL file as UTF-8 lines. Bytes that are not UTF-8 fail with an {@link AuthFileException} naming
 * the file, line and byte, where {@link Files#readAllLines} would only say "Input length = 1".
 */
final class AuthFileText
{
    private AuthFileText()
    {
    }

    /**
     * @param file the file.
     * @return its lines, split as {@link String#lines()} does.
     * @throws AuthFileException if a byte sequence is not UTF-8.
     * @throws IOException       if the file cannot be read.
     */
    static List<String> readLines(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never yields more chars than bytes
        final CoderResult result = decoder.decode(in, out, true);
        if (result.isError())
        {
            throw notUtf8(file, bytes, in.position());
        }
        decoder.flush(out);
        return out.flip().toString().lines().toList();
    }

    private static AuthFileException notUtf8(final Path file, final byte[] bytes, final int badIndex)
    {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < badIndex; i++)
        {
            if (bytes[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new AuthFileException(file.toString(), line, String.format(
            "not UTF-8 text: byte 0x%02X at byte %d of the line (save the file as UTF-8)",
            bytes[badIndex] & 0xFF, badIndex - lineStart + 1));
    }
}
