package dev.tern.route;

/**
 * The route handlers of one route stage, made and wired together once: each gets the shared {@link RouteContext}, the
 * one {@link ClientProxy}, and the handlers it calls. Calls go one way (connect and publish to sessions, sessions to
 * subscriptions and delivery); what must go back, a will that became due, is handed to the route stage.
 */
public final class RouteHandlers
{
    /** State the handlers share. */
    public final RouteContext context;
    /** The one producer of outbound packets. */
    public final ClientProxy proxy;
    /** Authorization decisions; replaced rules come in here. */
    public final AccessChecks access;
    /** Journal records, checkpoints and the journal's failed state. */
    public final JournalWriter journal;
    /** Inflight windows, queues and acknowledgements. */
    public final DeliveryHandler delivery;
    /** SUBSCRIBE, UNSUBSCRIBE, the trie, shared groups, inline subscribers. */
    public final SubscriptionHandler subscriptions;
    /** DISCONNECT, closes, session ends, wills and timers. */
    public final SessionHandler sessions;
    /** PUBLISH in and the routing of every message. */
    public final PublishRouter router;
    /** Admission, CONNECT and authentication. */
    public final ConnectHandler connect;
    /** Persistent sessions moving to or from another broker of a cluster. */
    public final SessionTransfer transfer;
    private final QueuedBytesBudget budget;

    /**
     * @param publishDueWills publishes the wills {@link SessionHandler#pollDueWill()} holds; a takeover runs it before
     *                        the new connection takes the session.
     */
    public RouteHandlers(final RouteContext context, final Runnable publishDueWills)
    {
        this.context = context;
        final AddressLimits addresses = new AddressLimits(context.config.maxConnectionsPerAddress());
        final ConnectionLog connectionLog = new ConnectionLog(context.config.logConnections());
        proxy = new ClientProxy(context);
        access = new AccessChecks(context);
        journal = new JournalWriter(context);
        budget = new QueuedBytesBudget(context, proxy);
        delivery = new DeliveryHandler(context, proxy, access, budget, journal);
        subscriptions = new SubscriptionHandler(context, proxy, access, delivery, journal);
        sessions = new SessionHandler(context, proxy, subscriptions, delivery, budget, journal, addresses,
            connectionLog);
        router = new PublishRouter(context, proxy, access, subscriptions, delivery, sessions, journal);
        connect = new ConnectHandler(context, proxy, access, sessions, delivery, journal, addresses, connectionLog,
            publishDueWills);
        transfer = new SessionTransfer(context, sessions, subscriptions, access, budget, journal, publishDueWills);
    }

    /** A replayer that rebuilds this stage's state from stored journal batches, before the pipeline starts. */
    public JournalReplayer replayer()
    {
        return new JournalReplayer(context, sessions, subscriptions, budget, journal);
    }
}
