using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// The aggregator nodes this node has seen as members of its cluster (filled by <see cref="AggregatorNodeActor"/> from
/// the node's start). A coordinator that finds a checkpoint written by one of them is a standby taking over the run it
/// stood by for, and resumes it without being asked; a checkpoint from any other node is of another run, which only
/// <c>--resume</c> continues. Node keys are <see cref="KeyOf"/>: the address and the actor system's uid, so an
/// aggregator restarted on the same address is another node.
/// </summary>
public sealed class AggregatorLineage : IExtension
{
    private readonly ConcurrentDictionary<string, Address> _seen = new(StringComparer.Ordinal);

    public static AggregatorLineage Get(ActorSystem system) => system.WithExtension<AggregatorLineage, AggregatorLineageProvider>();

    /// <summary>The key of a cluster node: <c>address#uid</c>.</summary>
    public static string KeyOf(UniqueAddress node) => $"{node.Address}#{node.Uid}";

    public void Saw(UniqueAddress node) => _seen.TryAdd(KeyOf(node), node.Address);

    public bool HasSeen(string key) => _seen.ContainsKey(key);

    /// <summary>The aggregator nodes seen so far other than <paramref name="self"/>.</summary>
    public IReadOnlyList<Address> Others(UniqueAddress self) =>
        _seen.Where(kv => kv.Key != KeyOf(self)).Select(kv => kv.Value).ToArray();
}

public sealed class AggregatorLineageProvider : ExtensionIdProvider<AggregatorLineage>
{
    public override AggregatorLineage CreateExtension(ExtendedActorSystem system) => new();
}
