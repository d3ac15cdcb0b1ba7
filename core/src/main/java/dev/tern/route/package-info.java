/**
 * The routing core behind the pipeline's {@code RouteStage}: single-writer handlers owned by the route thread.
 * {@code ConnectHandler} (admission, CONNECT, authentication), {@code SessionHandler} (connection ends, session
 * lifecycle, wills, timers), {@code SubscriptionHandler} (trie, shared groups, inline subscribers),
 * {@code PublishRouter} (PUBLISH in, matching, retained, {@code $SYS}), {@code DeliveryHandler} (inflight windows,
 * queues, acknowledgements) with {@code QueuedBytesBudget}, {@code AccessChecks} (authorization decisions),
 * {@code JournalWriter} and {@code JournalReplayer} (durable records). They share one {@code RouteContext}, pass the
 * message being routed as a {@code RoutedMessage}, and send every packet through the one {@code ClientProxy}.
 */
package dev.tern.route;
