package dev.tern.tools;

import dev.tern.config.TernConfigFile;
import dev.tern.config.TernSetup;
import dev.tern.storage.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The storage backend is chosen by {@code persistence.storage} among the {@link StorageProvider}s on the class path
 * (the journal module provides {@code chronicle}, the default), and an unknown name is refused with file and line.
 */
class StorageSelectionTest
{
    @TempDir
    Path dir;

    @Test
    void shouldFindTheChronicleJournalAsTheDefaultBackend()
    {
        assertEquals(List.of("chronicle"), StorageProvider.names());
        assertEquals("chronicle", StorageProvider.named(StorageProvider.DEFAULT).name());
        final TernSetup setup = TernConfigFile.parse("""
            persistence:
              enabled: true
              directory: journal
            """, "tern.yaml", dir);
        assertEquals("chronicle", setup.persistence().storage());
    }

    @Test
    void shouldRefuseAnUnknownStorageNamingTheValueFileAndLine()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TernConfigFile.parse("""
                persistence:
                  enabled: true
                  directory: journal
                  storage: rocksdb
                """, "tern.yaml", dir));
        assertEquals("tern.yaml line 4: persistence.storage: unknown storage 'rocksdb'; available: chronicle",
            ex.getMessage());
        final IllegalArgumentException direct =
            assertThrows(IllegalArgumentException.class, () -> StorageProvider.named("rocksdb"));
        assertEquals("unknown storage 'rocksdb'; available: chronicle", direct.getMessage());
    }

    @Test
    @Timeout(60)
    void shouldStartTheBrokerOnTheConfiguredStorage() throws Exception
    {
        final TernSetup setup = TernConfigFile.parse("""
            listeners:
              - port: 0
            persistence:
              enabled: true
              directory: journal
              storage: chronicle
            """, "tern.yaml", dir);
        try (TernLauncher launcher = TernLauncher.start(setup))
        {
            assertTrue(launcher.port() > 0);
            try (Stream<Path> files = Files.list(dir.resolve("journal")))
            {
                assertTrue(files.findAny().isPresent(), "no journal opened in " + dir.resolve("journal"));
            }
        }
    }
}
