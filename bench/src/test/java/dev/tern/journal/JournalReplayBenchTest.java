package dev.tern.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A small run of the replay bench: the checkpoint it reports is really there when the next broker replays. */
class JournalReplayBenchTest
{
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldReplayFromTheCheckpointItWrote() throws Exception
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        final boolean ok;
        try
        {
            ok = JournalReplayBench.run(20_000, 64);
        }
        finally
        {
            System.setOut(original);
        }
        final String output = captured.toString(StandardCharsets.UTF_8);
        System.out.print(output);

        assertTrue(ok, output);
        assertTrue(output.contains("replay from checkpoint 1 ("), output);
        assertFalse(output.contains("queued after replay"), "every message replayed: " + output);
    }
}
