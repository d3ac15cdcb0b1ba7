package dev.tern.topic;

/**
 * Receives the subscriptions matching a topic, from {@link TopicTrie#match}.
 *
 * @param <S> subscriber type.
 */
@FunctionalInterface
public interface MatchVisitor<S>
{
    /**
     * Called once per matching (filter, subscriber) pair, so a subscriber with several matching filters is called
     * several times; the caller dedupes and keeps the highest QoS.
     *
     * @param subscriber the subscriber of a matching filter.
     * @param options    the options given to {@link TopicTrie#subscribe} for that filter.
     */
    void onMatch(S subscriber, int options);
}
