namespace AkkaByz.Runtime.Cluster;

/// <summary>What a cluster node does: host the aggregator (the oldest such node; others are standbys) or a worker.</summary>
public enum NodeRole
{
    Aggregator,
    Worker,
}
