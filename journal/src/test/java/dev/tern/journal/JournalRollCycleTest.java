package dev.tern.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A journal's roll cycle is fixed when it is created: reopening with another one keeps it, and says which. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalRollCycleTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReportTheRollCycleAnExistingJournalKeeps()
    {
        try (ChronicleStorage created = new ChronicleStorage(JournalSettings.of(dir).withRollCycle("FAST_DAILY")))
        {
            assertEquals("FAST_DAILY", created.rollCycle());
        }
        try (ChronicleStorage reopened = new ChronicleStorage(JournalSettings.of(dir).withRollCycle("FIVE_MINUTELY")))
        {
            assertEquals("FAST_DAILY", reopened.rollCycle());
        }
    }

    @Test
    void shouldUseTheAskedRollCycleForANewJournal()
    {
        try (ChronicleStorage created = new ChronicleStorage(JournalSettings.of(dir).withRollCycle("HALF_HOURLY")))
        {
            assertEquals("HALF_HOURLY", created.rollCycle());
        }
    }
}
