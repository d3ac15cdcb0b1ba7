package dev.tern.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tern.codec.TopicValidator;
import dev.tern.codec.Utf8;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz target (Jazzer) for {@link TopicValidator}. A normal test run replays the committed corpus
 * under {@code src/test/resources/dev/tern/fuzz/TopicValidatorFuzzTestInputs/}; to fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=TopicValidatorFuzzTest#fuzzTopic
 * -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration=10m}.
 * <p>
 * Every answer, of both the buffer and the String forms, is compared with a plain reference implementation that
 * splits the topic into levels (MQTT 3.1.1 section 4.7): a filter is valid when it is non-empty, '#' is alone in the
 * last level [MQTT-4.7.1-2] and '+' is alone in its level [MQTT-4.7.1-3]; a name when it is non-empty and holds no
 * wildcard [MQTT-3.3.2-2], [MQTT-4.7.3-1]. The String forms must also refuse U+0000 [MQTT-4.7.3-2], unpaired
 * surrogates and more than 65535 encoded bytes [MQTT-4.7.3-3]. Neither form may throw, whatever the range it is given.
 */
class TopicValidatorFuzzTest
{
    private static final byte WILDCARD_FILL = TopicValidator.MULTI_LEVEL_WILDCARD;

    @FuzzTest(maxDuration = "10s")
    void fuzzTopic(final byte[] data)
    {
        if (data.length == 0)
        {
            return;
        }
        // First byte: bits 0-2 shift the topic inside a larger buffer (every alignment of the 8-byte scan of topic
        // names), bit 3 reads the rest as UTF-16 code units instead of UTF-8 for the String forms (only that way can
        // unpaired surrogates reach them).
        final int shift = data[0] & 7;
        final boolean utf16 = (data[0] & 8) != 0;
        final byte[] topic = Arrays.copyOfRange(data, 1, data.length);

        checkBuffer(topic, shift);
        checkString(utf16 ? utf16(topic) : new String(topic, StandardCharsets.UTF_8));
    }

    private static void checkBuffer(final byte[] topic, final int shift)
    {
        final int length = topic.length;
        final UnsafeBuffer exact = new UnsafeBuffer(topic);
        final boolean filter = TopicValidator.isValidTopicFilter(exact, 0, length);
        final boolean name = TopicValidator.isValidTopicName(exact, 0, length);

        // the buffer forms check structure only, byte by byte: '/', '+' and '#' never occur inside a UTF-8 sequence
        final String levels = new String(topic, StandardCharsets.ISO_8859_1);
        assertEquals(isValidFilterReference(levels), filter, "filter");
        assertEquals(isValidNameReference(levels), name, "name");

        // the same bytes surrounded by wildcards, at another offset: nothing outside the range may count
        final byte[] padded = new byte[shift + length + Long.BYTES];
        Arrays.fill(padded, WILDCARD_FILL);
        System.arraycopy(topic, 0, padded, shift, length);
        final UnsafeBuffer shifted = new UnsafeBuffer(padded);
        assertEquals(filter, TopicValidator.isValidTopicFilter(shifted, shift, length), "filter at an offset");
        assertEquals(name, TopicValidator.isValidTopicName(shifted, shift, length), "name at an offset");

        // a range that leaves the buffer is refused, never read
        assertFalse(TopicValidator.isValidTopicFilter(exact, 1, length), "filter range past the end");
        assertFalse(TopicValidator.isValidTopicName(exact, 1, length), "name range past the end");
        assertFalse(TopicValidator.isValidTopicFilter(exact, -1, length), "filter at a negative offset");
        assertFalse(TopicValidator.isValidTopicName(exact, -1, length), "name at a negative offset");
        assertFalse(TopicValidator.isValidTopicFilter(exact, 0, -length - 1), "filter of negative length");
        assertFalse(TopicValidator.isValidTopicName(exact, 0, -length - 1), "name of negative length");

        // what the decoder accepts from the wire (UTF-8 rules, then structure) has no U+0000 and agrees with the
        // String forms that the embedding API uses
        if (length <= Utf8.MAX_STRING_LENGTH && Utf8.isValidMqttString(exact, 0, length))
        {
            if (filter || name)
            {
                for (final byte b : topic)
                {
                    assertTrue(b != 0, "U+0000 accepted from the wire");
                }
            }
            final String decoded = new String(topic, StandardCharsets.UTF_8);
            assertEquals(filter, TopicValidator.isValidTopicFilter(decoded), "wire and String filter rules differ");
            assertEquals(name, TopicValidator.isValidTopicName(decoded), "wire and String name rules differ");
        }
    }

    private static void checkString(final String topic)
    {
        final boolean filter = TopicValidator.isValidTopicFilter(topic);
        final boolean name = TopicValidator.isValidTopicName(topic);
        final boolean sendable = isSendable(topic);
        assertEquals(sendable && isValidFilterReference(topic), filter, "String filter");
        assertEquals(sendable && isValidNameReference(topic), name, "String name");
        if (filter)
        {
            assertSpecFilter(topic);
        }
        if (name)
        {
            assertSpecFilter(topic); // a valid name is a valid filter too
            assertTrue(topic.indexOf('+') < 0 && topic.indexOf('#') < 0, "wildcard in a topic name");
        }
    }

    /** The normative statements, spelled out on an accepted filter (restates the reference, as a second opinion). */
    private static void assertSpecFilter(final String filter)
    {
        assertFalse(filter.isEmpty(), "empty filter [MQTT-4.7.3-1]");
        assertTrue(filter.indexOf('\u0000') < 0, "U+0000 [MQTT-4.7.3-2]");
        final int hash = filter.indexOf('#');
        if (hash >= 0)
        {
            assertEquals(filter.length() - 1, hash, "'#' not last [MQTT-4.7.1-2]");
            assertTrue(hash == 0 || filter.charAt(hash - 1) == '/', "'#' not alone in its level [MQTT-4.7.1-2]");
        }
        for (int i = filter.indexOf('+'); i >= 0; i = filter.indexOf('+', i + 1))
        {
            assertTrue(i == 0 || filter.charAt(i - 1) == '/', "'+' not alone in its level [MQTT-4.7.1-3]");
            assertTrue(i == filter.length() - 1 || filter.charAt(i + 1) == '/',
                "'+' not alone in its level [MQTT-4.7.1-3]");
        }
    }

    private static boolean isValidFilterReference(final String filter)
    {
        if (filter.isEmpty())
        {
            return false;
        }
        final String[] levels = filter.split("/", -1);
        for (int i = 0; i < levels.length; i++)
        {
            final String level = levels[i];
            if (level.indexOf('#') >= 0 && (!level.equals("#") || i != levels.length - 1))
            {
                return false;
            }
            if (level.indexOf('+') >= 0 && !level.equals("+"))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isValidNameReference(final String name)
    {
        return !name.isEmpty() && name.indexOf('+') < 0 && name.indexOf('#') < 0;
    }

    /** Non-empty, no U+0000, no unpaired surrogate, at most 65535 bytes of UTF-8: computed independently of Utf8. */
    private static boolean isSendable(final String value)
    {
        if (value.isEmpty() || value.indexOf('\u0000') >= 0)
        {
            return false;
        }
        int bytes = 0;
        for (int i = 0; i < value.length(); )
        {
            final int codePoint = value.codePointAt(i);
            if (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE)
            {
                return false; // codePointAt returns a lone surrogate as itself
            }
            bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            i += Character.charCount(codePoint);
        }
        return bytes <= Utf8.MAX_STRING_LENGTH;
    }

    private static String utf16(final byte[] bytes)
    {
        final char[] chars = new char[bytes.length / 2];
        for (int i = 0; i < chars.length; i++)
        {
            chars[i] = (char)(((bytes[2 * i] & 0xFF) << 8) | (bytes[2 * i + 1] & 0xFF));
        }
        return new String(chars);
    }
}
