package dev.tern.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicValidatorTest
{
    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b", "/", "//", "a/b/", "/a", " ", "sport/tennis/player1", "$SYS/broker",
        "caf\u00e9/\u20ac", "\uD83D\uDE00"})
    void shouldAcceptTopicNames(final String topic)
    {
        assertTrue(TopicValidator.isValidTopicName(topic));
        assertTrue(TopicValidator.isValidTopicName(buffer(topic), 0, utf8Length(topic)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "+", "#", "a/+", "a/#", "a+b", "sport/tennis/#", "a/b#", "+/a"})
    void shouldRejectTopicNamesThatAreEmptyOrHoldWildcards(final String topic)
    {
        // [MQTT-4.7.3-1], [MQTT-3.3.2-2]
        assertFalse(TopicValidator.isValidTopicName(topic));
        assertFalse(TopicValidator.isValidTopicName(buffer(topic), 0, utf8Length(topic)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"#", "+", "a/#", "/#", "a/+/b", "+/+", "/+", "+/", "+/#", "sport/tennis/#",
        "sport/+/player1", "a//b", "/", "a", "$SYS/#", "caf\u00e9/+"})
    void shouldAcceptTopicFilters(final String filter)
    {
        assertTrue(TopicValidator.isValidTopicFilter(filter));
        assertTrue(TopicValidator.isValidTopicFilter(buffer(filter), 0, utf8Length(filter)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",             // [MQTT-4.7.3-1]
        "a#",           // '#' not alone in its level [MQTT-4.7.1-2]
        "a/b#",
        "#/",           // '#' not the last level
        "a/#/b",
        "##",
        "#a",
        "a+",           // '+' not alone in its level [MQTT-4.7.1-3]
        "+a",
        "a/+b",
        "a/b+/c",
        "++",
        "sport/tennis#",
        "sport+"
    })
    void shouldRejectTopicFiltersWithMisplacedWildcards(final String filter)
    {
        assertFalse(TopicValidator.isValidTopicFilter(filter));
        assertFalse(TopicValidator.isValidTopicFilter(buffer(filter), 0, utf8Length(filter)));
    }

    @Test
    void shouldFindWildcardsAtEveryPositionOfLongTopicNames()
    {
        // Exercises the eight-bytes-at-a-time scan, its tail, and bytes that differ from '+' or '#' by one bit.
        final byte[] lookalikes = {(byte)('+' | 0x80), (byte)('#' | 0x80), '+' - 1, '#' + 1, '+' ^ 0x01, 0x00};
        for (int length = 1; length <= 40; length++)
        {
            final byte[] topic = new byte[length];
            java.util.Arrays.fill(topic, (byte)'a');
            for (int i = 0; i < length; i++)
            {
                for (final byte wildcard : new byte[] {'+', '#'})
                {
                    final byte[] withWildcard = topic.clone();
                    withWildcard[i] = wildcard;
                    assertFalse(TopicValidator.isValidTopicName(new UnsafeBuffer(withWildcard), 0, length),
                        (char)wildcard + " at " + i + " of " + length);
                }
                for (final byte lookalike : lookalikes)
                {
                    final byte[] withLookalike = topic.clone();
                    withLookalike[i] = lookalike;
                    assertTrue(TopicValidator.isValidTopicName(new UnsafeBuffer(withLookalike), 0, length),
                        "byte " + (lookalike & 0xFF) + " at " + i + " of " + length);
                }
            }
        }
    }

    @Test
    void shouldRejectStringsThatCannotBeSent()
    {
        assertFalse(TopicValidator.isValidTopicName("a\u0000b"));     // [MQTT-4.7.3-2]
        assertFalse(TopicValidator.isValidTopicFilter("a\u0000b"));
        assertFalse(TopicValidator.isValidTopicName("a\uD800"));      // unpaired surrogate
        assertFalse(TopicValidator.isValidTopicFilter("\uDC00/#"));
        assertFalse(TopicValidator.isValidTopicName("a".repeat(65_536)));   // [MQTT-4.7.3-3]
        assertTrue(TopicValidator.isValidTopicName("a".repeat(65_535)));
        assertFalse(TopicValidator.isValidTopicName(null));
        assertFalse(TopicValidator.isValidTopicFilter(null));
    }

    @Test
    void shouldLookOnlyInsideTheRange()
    {
        final byte[] bytes = {
            '+',                // wildcard just before the range
            'a', '/', 'b',      // the topic "a/b"
            '#'                 // wildcard just after the range
        };
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        assertTrue(TopicValidator.isValidTopicName(buffer, 1, 3));
        assertTrue(TopicValidator.isValidTopicFilter(buffer, 1, 3));

        final byte[] filter = {
            'a', '/', '+',      // the filter "a/+": the '+' ends its level because the range ends
            'x'                 // not part of the filter
        };
        assertTrue(TopicValidator.isValidTopicFilter(new UnsafeBuffer(filter), 0, 3));
        assertFalse(TopicValidator.isValidTopicFilter(new UnsafeBuffer(filter), 0, 4));

        assertFalse(TopicValidator.isValidTopicName(buffer, 3, 5));
        assertFalse(TopicValidator.isValidTopicFilter(buffer, -1, 2));
        assertFalse(TopicValidator.isValidTopicName(buffer, 0, 0));
    }

    private static UnsafeBuffer buffer(final String value)
    {
        return new UnsafeBuffer(value.getBytes(StandardCharsets.UTF_8));
    }

    private static int utf8Length(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8).length;
    }
}
