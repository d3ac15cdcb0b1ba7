package dev.tern.route;

/**
 * The route handlers of one route stage, made and wired together once: each gets the shared {@link RouteContext}, the
 * one {@link ClientProxy}, and the handlers it calls. Calls go one way (connect and publish to sessions, sessions to
 * subscriptions and delivery); what must go back, a will that became due, is handed to the route stage.
 */
public final class RouteHandlers
{
    public final RouteContext context;
    public final ClientProxy proxy;
    public final AccessChecks access;
    public final JournalWriter journal;
    public final DeliveryHandler delivery;
    public final SubscriptionHandler subscriptions;
    public final SessionHandler sessions;
    public final PublishRouter router;
    public final ConnectHandler connect;
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
    }

    /** A replayer that rebuilds this stage's state from stored journal batches, before the pipeline starts. */
    public JournalReplayer replayer()
    {
        return new JournalReplayer(context, sessions, subscriptions, budget, journal);
    }
}
