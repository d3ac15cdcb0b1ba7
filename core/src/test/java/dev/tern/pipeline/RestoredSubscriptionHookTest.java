package dev.tern.pipeline;

import dev.tern.broker.Authenticator;
import dev.tern.broker.Authorizer;
import dev.tern.broker.BrokerConfig;
import dev.tern.broker.BrokerHooks;
import dev.tern.broker.ClientInfo;
import dev.tern.broker.ListenerConfig;
import dev.tern.storage.JournalRecords;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hooks hear each subscription of the sessions restored from the journal (a cluster member announces their
 * filters when it joins), once, with the session's client id and user name, before the broker runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RestoredSubscriptionHookTest
{
    @Test
    void shouldCallTheHookForEachSubscriptionOfTheRestoredSessions()
    {
        final JournalRecords.Writer journal = new JournalRecords.Writer(new ExpandableArrayBuffer(256));
        journal.begin(JournalRecords.SESSION_CREATE).string("s1").u8(JournalRecords.OWNER_USER_NAME).string("alice")
            .end();
        journal.begin(JournalRecords.SUBSCRIBE).string("s1").string("a/#").i32(1).end();
        journal.begin(JournalRecords.SUBSCRIBE).string("s1").string("$share/g/b/+").i32(2).end();
        journal.begin(JournalRecords.SUBSCRIBE).string("s1").string("c").i32(0).end();
        journal.begin(JournalRecords.UNSUBSCRIBE).string("s1").string("c").end();
        journal.begin(JournalRecords.SESSION_CREATE).string("gone").u8(JournalRecords.OWNER_USER_NAME).string("bob")
            .end();
        journal.begin(JournalRecords.SUBSCRIBE).string("gone").string("d/#").i32(1).end();
        journal.begin(JournalRecords.SESSION_DELETE).string("gone").end();
        final RecordingStorage storage = new RecordingStorage();
        storage.append(journal.buffer(), 0, journal.length());

        final List<String> restored = new ArrayList<>();
        final BrokerHooks hooks = new BrokerHooks()
        {
            @Override
            public void onSubscriptionRestored(final ClientInfo client, final String topicFilter, final int qos)
            {
                restored.add(client.clientId() + "/" + client.username() + " " + topicFilter + " " + qos + " on "
                    + Thread.currentThread().getName());
            }
        };
        final BrokerConfig config = BrokerConfig.defaults().sysIntervalSeconds(0).conclude();
        final Broker broker = new Broker(config, List.of(ListenerConfig.tcp("tcp", "127.0.0.1", 0)),
            Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL, hooks, storage);
        try
        {
            // called while the broker is made, before it runs
            final String thread = Thread.currentThread().getName();
            restored.sort(null);
            assertEquals(List.of("s1/alice $share/g/b/+ 2 on " + thread, "s1/alice a/# 1 on " + thread), restored);
            broker.start();
        }
        finally
        {
            broker.close();
        }
    }
}
