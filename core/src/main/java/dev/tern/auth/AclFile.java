package dev.tern.auth;

import dev.tern.broker.Authorizer;
import dev.tern.broker.ClientInfo;
import dev.tern.codec.TopicValidator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Access control from a file in Mosquitto's ACL syntax:
 * <pre>
 * # comment
 * topic [read|write|readwrite|deny] FILTER      rules before the first "user" line apply to anonymous clients
 * user NAME                                      the following topic rules apply to this user
 * pattern [read|write|readwrite|deny] FILTER     applies to every client; %u = user name, %c = client id
 * </pre>
 * A rule is either a bare filter (access {@code readwrite}) or an access word followed by a filter; any other access
 * word, or an access word without a filter, is an error naming the file and line (as Mosquitto refuses
 * {@code topic raed x}, and stricter than Mosquitto, which reads {@code topic read} as a rule on the topic
 * {@code read}). {@code %u} and {@code %c} are replaced in one pass, so an identity containing them stays literal.
 * Default deny: what no rule allows is refused. A {@code deny} rule wins
 * over any allowing rule. Publishing to a topic needs a {@code write} or {@code readwrite} rule whose filter matches
 * the topic; subscribing to a filter needs a {@code read} or {@code readwrite} rule whose filter covers it (every
 * topic the subscription could match is matched by the rule), and no {@code deny} rule covering it. Receiving a
 * message needs a {@code read} or {@code readwrite} rule matching its topic and no {@code deny} rule matching it, so a
 * {@code deny} narrower than a granted subscription still holds for each message. A pattern whose substitution would
 * put a wildcard or '/' into a level (a user name or client id containing them) never matches.
 */
public final class AclFile implements Authorizer
{
    private static final int READ = 1;
    private static final int WRITE = 2;
    private static final int DENY = 4;

    private record Rule(int access, String[] levels, boolean pattern)
    {
    }

    private final List<Rule> anonymous;
    private final Map<String, List<Rule>> rulesByUser;
    private final List<Rule> patterns;
    private final String source;

    private AclFile(final String source, final List<Rule> anonymous, final Map<String, List<Rule>> rulesByUser,
        final List<Rule> patterns)
    {
        this.source = source;
        this.anonymous = anonymous;
        this.rulesByUser = rulesByUser;
        this.patterns = patterns;
    }

    /** @throws AuthFileException naming the file and line of a malformed rule or of bytes that are not UTF-8. */
    public static AclFile load(final Path file) throws IOException
    {
        return of(file.toString(), AuthFileText.readLines(file));
    }

    /** @return rules parsed from lines; {@code source} names them in errors. */
    public static AclFile of(final String source, final List<String> lines)
    {
        final List<Rule> anonymous = new ArrayList<>();
        final Map<String, List<Rule>> byUser = new HashMap<>();
        final List<Rule> patterns = new ArrayList<>();
        List<Rule> current = anonymous;
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final String[] words = line.split("\\s+", 2);
            final String keyword = words[0];
            final String rest = words.length > 1 ? words[1].strip() : "";
            switch (keyword)
            {
                case "user":
                    if (rest.isEmpty())
                    {
                        throw new AuthFileException(source, i + 1, "'user' needs a user name");
                    }
                    current = byUser.computeIfAbsent(rest, u -> new ArrayList<>());
                    break;
                case "topic":
                    current.add(rule(source, i + 1, rest, false));
                    break;
                case "pattern":
                    patterns.add(rule(source, i + 1, rest, true));
                    break;
                default:
                    throw new AuthFileException(source, i + 1, "unknown keyword '" + keyword +
                        "' (expected user, topic or pattern)");
            }
        }
        return new AclFile(source, List.copyOf(anonymous), Collections.unmodifiableMap(byUser), List.copyOf(patterns));
    }

    private static Rule rule(final String source, final int lineNumber, final String text, final boolean pattern)
    {
        if (text.isEmpty())
        {
            throw new AuthFileException(source, lineNumber, "missing topic filter");
        }
        final String[] words = text.split("\\s+", 2);
        final String word = words[0];
        final int access = access(word);
        final String filter;
        if (access != 0)
        {
            filter = words.length == 2 ? words[1].strip() : "";
            if (filter.isEmpty())
            {
                // not a rule on a topic named "read": that is written "topic readwrite read"
                throw new AuthFileException(source, lineNumber, "missing topic filter after '" + word + "'");
            }
        }
        else if (words.length == 2)
        {
            // as Mosquitto: two words are an access and a filter, so a mistyped access is an error, not a filter
            throw new AuthFileException(source, lineNumber, "unknown access '" + word +
                "' (expected read, write, readwrite or deny)");
        }
        else
        {
            filter = word; // a bare filter: readwrite
        }
        final String check = pattern ? filter.replace("%u", "u").replace("%c", "c") : filter;
        if (!TopicValidator.isValidTopicFilter(check))
        {
            throw new AuthFileException(source, lineNumber, "invalid topic filter '" + filter + "'");
        }
        return new Rule(access == 0 ? READ | WRITE : access, filter.split("/", -1), pattern);
    }

    /** @return the access an access word grants, 0 if it is none. */
    private static int access(final String word)
    {
        switch (word.toLowerCase(Locale.ROOT))
        {
            case "read":
                return READ;
            case "write":
                return WRITE;
            case "readwrite":
                return READ | WRITE;
            case "deny":
                return DENY;
            default:
                return 0;
        }
    }

    @Override
    public boolean canPublish(final ClientInfo client, final String topic)
    {
        return decide(client, topic.split("/", -1), WRITE, false);
    }

    @Override
    public boolean canSubscribe(final ClientInfo client, final String topicFilter)
    {
        return decide(client, topicFilter.split("/", -1), READ, true);
    }

    @Override
    public boolean canRead(final ClientInfo client, final String topic)
    {
        return decide(client, topic.split("/", -1), READ, false);
    }

    /**
     * A filter needs no per-message check when one read rule covers it and no deny rule could match any of its
     * topics.
     */
    @Override
    public boolean needsReadCheck(final ClientInfo client, final String topicFilter)
    {
        final String[] levels = topicFilter.split("/", -1);
        boolean covered = false;
        final List<Rule> own = client.username() == null ? anonymous :
            rulesByUser.getOrDefault(client.username(), List.of());
        for (int i = 0, n = own.size() + patterns.size(); i < n; i++)
        {
            final Rule rule = i < own.size() ? own.get(i) : patterns.get(i - own.size());
            final String[] ruleLevels = rule.pattern ? substitute(rule.levels, client) : rule.levels;
            if (ruleLevels == null)
            {
                continue; // a pattern that cannot apply to this client
            }
            if (rule.access == DENY)
            {
                if (intersects(ruleLevels, levels))
                {
                    return true;
                }
            }
            else if ((rule.access & READ) != 0 && !covered)
            {
                covered = covers(ruleLevels, levels, true);
            }
        }
        return !covered;
    }

    private boolean decide(final ClientInfo client, final String[] levels, final int wanted, final boolean isFilter)
    {
        boolean allowed = false;
        final List<Rule> own = client.username() == null ? anonymous :
            rulesByUser.getOrDefault(client.username(), List.of());
        for (int i = 0, n = own.size(); i < n; i++)
        {
            final Rule rule = own.get(i);
            if (covers(rule.levels, levels, isFilter))
            {
                if (rule.access == DENY)
                {
                    return false;
                }
                allowed |= (rule.access & wanted) != 0;
            }
        }
        for (int i = 0, n = patterns.size(); i < n; i++)
        {
            final Rule rule = patterns.get(i);
            final String[] substituted = substitute(rule.levels, client);
            if (substituted != null && covers(substituted, levels, isFilter))
            {
                if (rule.access == DENY)
                {
                    return false;
                }
                allowed |= (rule.access & wanted) != 0;
            }
        }
        return allowed;
    }

    private static String[] substitute(final String[] levels, final ClientInfo client)
    {
        String[] out = levels;
        for (int i = 0; i < levels.length; i++)
        {
            final String level = levels[i];
            if (level.indexOf('%') < 0)
            {
                continue;
            }
            final String value = substituteLevel(level, client.username(), client.clientId());
            if (value == null || value.indexOf('/') >= 0 || value.indexOf('+') >= 0 || value.indexOf('#') >= 0)
            {
                return null; // an identity must not widen the rule
            }
            if (out == levels)
            {
                out = levels.clone();
            }
            out[i] = value;
        }
        return out;
    }

    /**
     * Replace {@code %u} and {@code %c} in one left-to-right pass: what was put in is never read again, so a user
     * name containing {@code %c} (or a client id containing {@code %u}) stays literal.
     *
     * @return the level, or null if it needs a user name and the client has none.
     */
    static String substituteLevel(final String level, final String username, final String clientId)
    {
        final StringBuilder out = new StringBuilder(level.length() + 16);
        for (int i = 0, n = level.length(); i < n; i++)
        {
            final char c = level.charAt(i);
            final char next = i + 1 < n ? level.charAt(i + 1) : 0;
            if (c == '%' && next == 'u')
            {
                if (username == null)
                {
                    return null;
                }
                out.append(username);
                i++;
            }
            else if (c == '%' && next == 'c')
            {
                out.append(clientId);
                i++;
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** @return where the rules came from, for logs. */
    @Override
    public String toString()
    {
        return "ACL file " + source;
    }

    /**
     * @param rule     the rule's filter levels.
     * @param levels   a topic name's levels, or a subscription filter's.
     * @param isFilter whether {@code levels} is a filter: then every topic it matches must match the rule.
     */
    static boolean covers(final String[] rule, final String[] levels, final boolean isFilter)
    {
        for (int i = 0; i < rule.length; i++)
        {
            final String r = rule[i];
            if (r.equals("#"))
            {
                // '#' also matches the parent level [MQTT-4.7.1-2]; topics starting with '$' are not matched by a
                // leading wildcard [MQTT-4.7.2-1]
                return !(i == 0 && levels.length > 0 && levels[0].startsWith("$"));
            }
            if (i >= levels.length)
            {
                return false;
            }
            final String l = levels[i];
            if (isFilter && l.equals("#"))
            {
                return false; // the subscription reaches deeper than this rule
            }
            if (r.equals("+"))
            {
                if (i == 0 && l.startsWith("$"))
                {
                    return false;
                }
                continue; // a '+' in the subscription is covered by a '+' in the rule
            }
            if (!r.equals(l))
            {
                return false; // includes a '+' in the subscription against a literal in the rule
            }
        }
        return rule.length == levels.length;
    }

    /**
     * Whether some topic name matches both filters. A leading wildcard does not match a topic starting with '$'
     * [MQTT-4.7.2-1], so it meets no literal '$' level.
     */
    static boolean intersects(final String[] a, final String[] b)
    {
        for (int i = 0; ; i++)
        {
            final boolean aEnd = i >= a.length;
            final boolean bEnd = i >= b.length;
            final String x = aEnd ? null : a[i];
            final String y = bEnd ? null : b[i];
            if (i == 0 && x != null && y != null && (isWildcard(x) && y.startsWith("$") ||
                isWildcard(y) && x.startsWith("$")))
            {
                return false;
            }
            if ("#".equals(x) || "#".equals(y))
            {
                return true; // '#' also matches the parent level [MQTT-4.7.1-2]
            }
            if (aEnd || bEnd)
            {
                return aEnd && bEnd;
            }
            if (!x.equals("+") && !y.equals("+") && !x.equals(y))
            {
                return false;
            }
        }
    }

    private static boolean isWildcard(final String level)
    {
        return level.equals("+") || level.equals("#");
    }
}
