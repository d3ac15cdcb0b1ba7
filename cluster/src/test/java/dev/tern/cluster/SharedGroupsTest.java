package dev.tern.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedGroupsTest
{
    @Test
    void shouldLetExactlyOneMemberDeliverEachMessageToAGroup()
    {
        final SharedGroups[] members = {new SharedGroups(0), new SharedGroups(1), new SharedGroups(2)};
        for (final SharedGroups member : members)
        {
            member.update("$share/g/a/#", 0b110); // members 1 and 2 have sessions in group g
            member.update("a/#", 0b001);          // a plain filter is not a group
        }
        final int[] delivered = new int[3];
        for (int hash = -50; hash < 50; hash++)
        {
            int count = 0;
            for (int m = 0; m < members.length; m++)
            {
                if (members[m].deliverHere("g/a/#", hash))
                {
                    delivered[m]++;
                    count++;
                }
            }
            assertEquals(1, count, "hash " + hash);
        }
        assertEquals(0, delivered[0]);
        assertTrue(delivered[1] > 0 && delivered[2] > 0, "both members take turns");
    }

    @Test
    void shouldDeliverLocallyWhileTheGroupIsNotKnownToTheCluster()
    {
        final SharedGroups member = new SharedGroups(1);
        assertTrue(member.deliverHere("g/x", 7));
        member.update("$share/g/x", 0b001);
        member.update("$share/g/x", 0);
        assertTrue(member.deliverHere("g/x", 7));
    }
}
