package dev.tern.topic;

/**
 * Receives each subscription matching a topic.
 *
 * @param <S> subscriber type.
 */
@FunctionalInterface
public interface MatchVisitor<S>
{
    void onMatch(S subscriber, int options);
}
