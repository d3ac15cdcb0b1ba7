package dev.tern.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The {@code cluster:} section: this member's id, every member's address, the directory and the timeouts. */
final class ClusterSection
{
    private static final List<String> CLUSTER_KEYS =
        List.of("memberId", "members", "directory", "leaderHeartbeatTimeoutMs", "idleStrategy");
    private static final List<String> MEMBER_KEYS = List.of("host", "basePort");

    private final ConfigReader file;

    ClusterSection(final ConfigReader file)
    {
        this.file = file;
    }

    TernSetup.Cluster read(final JsonNode node)
    {
        file.requireKnownKeys(node, "cluster", CLUSTER_KEYS);
        final String at = "cluster";
        final JsonNode membersNode = node.get("members");
        if (membersNode == null || membersNode.isNull())
        {
            throw file.document.error(at, "cluster.members is required (the list of every member, this one included)");
        }
        if (!membersNode.isArray() || membersNode.isEmpty())
        {
            throw file.document.error("cluster.members", "expected a non-empty list of members, got " + file.describe(membersNode));
        }
        if (membersNode.size() > TernSetup.Cluster.MAX_MEMBERS)
        {
            throw file.document.error("cluster.members", "at most " + TernSetup.Cluster.MAX_MEMBERS + " members");
        }
        final List<TernSetup.Member> members = new ArrayList<>();
        final Map<String, String> pathByPort = new HashMap<>();
        for (int i = 0; i < membersNode.size(); i++)
        {
            final String path = "cluster.members[" + i + "]";
            final JsonNode member = membersNode.get(i);
            if (!member.isObject())
            {
                throw file.document.error(path, "expected a mapping with keys " + String.join(", ", MEMBER_KEYS)
                    + ", got " + file.describe(member));
            }
            file.requireKnownKeys(member, path, MEMBER_KEYS);
            final String host = file.readString(member, path + ".host", TernConfigFile.DEFAULT_HOST).trim();
            if (host.isEmpty())
            {
                throw file.document.error(path + ".host", "must not be empty");
            }
            if (file.value(member, path + ".basePort") == null)
            {
                throw file.document.error(path, "basePort is required");
            }
            final int basePort = file.readPort(member, path + ".basePort", 0);
            if (basePort < 1 || basePort + TernSetup.Cluster.PORTS_PER_MEMBER - 1 > 65535)
            {
                throw file.document.error(path + ".basePort", "needs " + TernSetup.Cluster.PORTS_PER_MEMBER
                    + " ports from 1 to 65535, got " + basePort);
            }
            for (int p = 0; p < TernSetup.Cluster.PORTS_PER_MEMBER; p++)
            {
                final String previous = pathByPort.putIfAbsent(host + ":" + (basePort + p), path);
                if (previous != null)
                {
                    throw file.document.error(path + ".basePort", "ports " + basePort + ".." + (basePort
                        + TernSetup.Cluster.PORTS_PER_MEMBER - 1) + " overlap those of " + previous);
                }
            }
            members.add(new TernSetup.Member(host, basePort));
        }
        final JsonNode idNode = file.value(node, "cluster.memberId");
        if (idNode == null)
        {
            throw file.document.error(at, "cluster.memberId is required");
        }
        final int memberId = file.toInt(idNode, "cluster.memberId");
        if (memberId < 0 || memberId >= members.size())
        {
            throw file.document.error("cluster.memberId", "must be the index of this member in cluster.members (0.."
                + (members.size() - 1) + "), got " + memberId);
        }
        final Path directory = file.readDirectory(node, "cluster.directory");
        if (directory == null)
        {
            throw file.document.error(at, "cluster.directory is required");
        }
        final int[] timeout = {TernConfigFile.DEFAULT_LEADER_HEARTBEAT_TIMEOUT_MS};
        file.readInt(node, "cluster.leaderHeartbeatTimeoutMs", v -> timeout[0] = v);
        if (timeout[0] < 200 || timeout[0] > 60_000)
        {
            throw file.document.error("cluster.leaderHeartbeatTimeoutMs", "must be 200..60000, got " + timeout[0]);
        }
        final String idle = file.readString(node, "cluster.idleStrategy", null);
        return new TernSetup.Cluster(memberId, members, directory, timeout[0],
            idle == null ? TernSetup.ClusterIdle.BACKOFF
                : file.parseEnum(TernSetup.ClusterIdle.values(), idle, "cluster.idleStrategy"));
    }
}
