package dev.tern.auth;

import dev.tern.broker.Authenticator;
import dev.tern.broker.ClientInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Password and ACL files are UTF-8; other bytes fail naming the file, line and byte. */
class AuthFileEncodingTest
{
    @TempDir
    Path dir;

    /** Text lines, then one line in ISO-8859-1 (a Latin-1 editor's "é" is the single byte 0xE9). */
    private static byte[] withLatin1Line(final String utf8Lines, final String latin1Line)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(utf8Lines.getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes(latin1Line.getBytes(StandardCharsets.ISO_8859_1));
        return bytes.toByteArray();
    }

    @Test
    void shouldNameFileLineAndByteOfAPasswordFileThatIsNotUtf8() throws Exception
    {
        final Path file = dir.resolve("passwd");
        PasswordFile.putUser(file, true, "alice", "wonderland".getBytes(StandardCharsets.UTF_8), 50);
        final String valid = Files.readString(file, StandardCharsets.UTF_8);
        Files.write(file, withLatin1Line("# users\n" + valid, "josé:" + valid.substring(valid.indexOf(':') + 1)));

        final AuthFileException ex = assertThrows(AuthFileException.class, () -> PasswordFile.load(file));

        assertEquals(file + " line 3: not UTF-8 text: byte 0xE9 at byte 4 of the line (save the file as UTF-8)",
            ex.getMessage());
        assertEquals(3, ex.lineNumber());
        // the passwd tool refuses to rewrite it, with the same message
        final AuthFileException edit = assertThrows(AuthFileException.class, () ->
            PasswordFile.putUser(file, false, "bob", "builder".getBytes(StandardCharsets.UTF_8), 50));
        assertEquals(ex.getMessage(), edit.getMessage());
        assertEquals(ex.getMessage(), assertThrows(AuthFileException.class,
            () -> PasswordFile.removeUser(file, "alice")).getMessage());
    }

    @Test
    void shouldNameFileLineAndByteOfAnAclFileThatIsNotUtf8() throws Exception
    {
        final Path file = Files.write(dir.resolve("acl"), withLatin1Line("user alice\r\n", "topic read café/#\n"));

        final AuthFileException ex = assertThrows(AuthFileException.class, () -> AclFile.load(file));

        assertEquals(file + " line 2: not UTF-8 text: byte 0xE9 at byte 15 of the line (save the file as UTF-8)",
            ex.getMessage());
    }

    @Test
    void shouldStillReadUtf8NamesAndCrLfLines() throws Exception
    {
        final Path file = dir.resolve("passwd");
        PasswordFile.putUser(file, true, "josé", "secret".getBytes(StandardCharsets.UTF_8), 50);
        Files.writeString(file, "# users\r\n" + Files.readString(file, StandardCharsets.UTF_8).strip() + "\r\n",
            StandardCharsets.UTF_8);

        final PasswordFile users = PasswordFile.load(file);

        assertEquals(List.of("josé"), users.users());
        assertEquals(Authenticator.ACCEPTED, users.authenticate(new ClientInfo("c1", "josé", "/127.0.0.1:1", "tcp", 4),
            "secret".getBytes(StandardCharsets.UTF_8)));
    }
}
