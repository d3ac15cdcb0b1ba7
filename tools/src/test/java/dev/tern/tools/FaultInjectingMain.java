package dev.tern.tools;

import java.util.concurrent.locks.LockSupport;

/**
 * The standalone launcher ({@link TernMain#launch}) with two in-process subscribers that misbehave on the route thread,
 * for tests that run it as a separate JVM: a PUBLISH to {@value #ERROR_TOPIC} throws an {@link Error} there (as an
 * OutOfMemoryError would), one to {@value #BLOCK_TOPIC} blocks it for ever (prints {@value #BLOCKED} first).
 */
public final class FaultInjectingMain
{
    static final String ERROR_TOPIC = "fault/error";
    static final String BLOCK_TOPIC = "fault/block";
    static final String READY = "fault subscribers ready";
    static final String BLOCKED = "route thread blocked";

    private FaultInjectingMain()
    {
    }

    public static void main(final String[] args)
    {
        TernMain.launch(args, launcher ->
        {
            launcher.broker().subscribe(ERROR_TOPIC, (topic, payload, qos, retain) ->
            {
                throw new Error("injected fault");
            });
            launcher.broker().subscribe(BLOCK_TOPIC, (topic, payload, qos, retain) ->
            {
                System.out.println(BLOCKED);
                while (true)
                {
                    LockSupport.park();
                }
            });
            System.out.println(READY);
        });
    }
}
