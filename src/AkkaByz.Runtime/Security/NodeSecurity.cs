using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace AkkaByz.Runtime.Security;

/// <summary>How a message's sender is known.</summary>
public enum OriginKind
{
    /// <summary>An actor of this node (trusted code in this process).</summary>
    Local,

    /// <summary>An actor of a peer node whose certificate of the cluster CA was checked on the connection the message came on.</summary>
    Authenticated,

    /// <summary>A remote actor whose node proved nothing (insecure mode, or not a bound address).</summary>
    Unauthenticated,
}

/// <summary>Who sent a message, as far as the channel it came on proves it.</summary>
public readonly record struct SenderOrigin(OriginKind Kind, NodeIdentity? Identity, Address? Address)
{
    /// <summary>True when the channel proved the sender (a local actor, or a certificate-checked peer).</summary>
    public bool IsProven => Kind != OriginKind.Unauthenticated;

    /// <summary>The key slots and counters are bound to: the certificate identity, else the node address.</summary>
    public string Principal => Kind switch
    {
        OriginKind.Local => "local",
        OriginKind.Authenticated => Identity!.ToString(),
        _ => Address?.ToString() ?? "unknown",
    };

    public override string ToString() => Kind switch
    {
        OriginKind.Local => "local",
        OriginKind.Authenticated => $"{Identity} at {Address}",
        _ => $"unauthenticated {Address}",
    };
}

/// <summary>
/// A node's security state (an Akka extension, one per actor system): its settings, its certificate and the cluster
/// CA (<see cref="ClusterTrust"/>, mode = mtls), the addresses whose identity a certificate-checked connection proved,
/// and the refusals counted per reason and per peer, logged at most once per peer per <c>log-interval</c>.
/// <para>
/// Actors ask <see cref="OriginOf"/> who sent a message: local actors are trusted; a remote sender is authenticated
/// only when its address is bound to an identity here, which only the vector carrier does, after the TLS handshake
/// checked the peer's certificate and an outbound connection to that address confirmed it (see docs/cluster.md,
/// "Threat model"). In mtls mode every AkkaByz message between nodes travels on that carrier; the same messages
/// arriving through Akka.Remote are refused before they reach an actor.
/// </para>
/// </summary>
public sealed class NodeSecurity : IExtension
{
    private readonly ExtendedActorSystem _system;
    private readonly ILoggingAdapter _log;
    private readonly ConcurrentDictionary<Address, NodeIdentity> _bound = new();
    private readonly ConcurrentDictionary<(string Peer, string Reason), long> _refused = new();
    private readonly ConcurrentDictionary<string, long> _lastLogged = new();
    private readonly Lazy<ClusterTrust?> _trust;

    internal NodeSecurity(ExtendedActorSystem system)
    {
        _system = system;
        _log = Logging.GetLogger(system, typeof(NodeSecurity));
        Settings = SecuritySettings.Create(system.Settings.Config);
        IsRemote = system.Provider is IRemoteActorRefProvider;
        // A node that already loaded its certificates (ClusterNode, for Akka.Remote's TLS) hands them over: loaded and checked once.
        var given = system.Settings.Setup.Get<NodeSecuritySetup>();
        _trust = new Lazy<ClusterTrust?>(() => !Settings.IsSecure ? null
            : given.HasValue ? given.Value.Trust
            : ClusterTrust.Load(Settings.CaCertificate, Settings.NodeCertificate, Settings.NodeCertificatePassword.Length > 0 ? Settings.NodeCertificatePassword : null));
        system.RegisterOnTermination(() => { if (_trust.IsValueCreated) _trust.Value?.Dispose(); });
    }

    public static NodeSecurity Get(ActorSystem system) => system.WithExtension<NodeSecurity, NodeSecurityProvider>();

    public SecuritySettings Settings { get; }

    /// <summary>True in mode = mtls.</summary>
    public bool IsSecure => Settings.IsSecure;

    /// <summary>True when the system talks to other nodes at all (remote or cluster provider).</summary>
    public bool IsRemote { get; }

    /// <summary>This node's certificate and the CA (null unless mode = mtls).</summary>
    public ClusterTrust? Trust => _trust.Value;

    /// <summary>This node's identity (null unless mode = mtls).</summary>
    public NodeIdentity? Self => Trust?.Self;

    // ------------------------------------------------------------------ origins

    /// <summary>Who sent a message whose sender is <paramref name="sender"/> (see the class).</summary>
    public SenderOrigin OriginOf(IActorRef? sender)
    {
        if (!IsRemote) return new SenderOrigin(OriginKind.Local, null, null);
        if (sender is null || sender.IsNobody()) return new SenderOrigin(OriginKind.Unauthenticated, null, null);
        var address = sender.Path.Address;
        if (address.HasLocalScope || address.Equals(_system.Provider.DefaultAddress)) return new SenderOrigin(OriginKind.Local, Self, address);
        return _bound.TryGetValue(address, out var identity)
            ? new SenderOrigin(OriginKind.Authenticated, identity, address)
            : new SenderOrigin(OriginKind.Unauthenticated, null, address);
    }

    /// <summary>
    /// May <paramref name="sender"/> speak for the aggregator (Params, WorkerRegistered, RunAssignment, RunFinished...)?
    /// Local actors and authenticated aggregator identities may; unauthenticated peers only in insecure mode.
    /// </summary>
    public bool IsAggregator(IActorRef? sender) => Allowed(OriginOf(sender), NodeIdentity.AggregatorRole);

    /// <summary>May <paramref name="sender"/> speak for a worker (JoinRun, RegisterWorker, Update, HonestCopy...)? As <see cref="IsAggregator"/>.</summary>
    public bool IsWorker(IActorRef? sender) => Allowed(OriginOf(sender), NodeIdentity.WorkerRole);

    private bool Allowed(SenderOrigin origin, string role) => origin.Kind switch
    {
        OriginKind.Local => true,
        OriginKind.Authenticated => origin.Identity!.Role == role,
        _ => !IsSecure,
    };

    // ------------------------------------------------------------------ bindings (the carrier's)

    /// <summary>
    /// Binds <paramref name="address"/> to <paramref name="identity"/> once a certificate-checked connection proved it.
    /// False when the address is already bound to another identity (then nothing changes).
    /// </summary>
    internal bool Bind(Address address, NodeIdentity identity)
    {
        var bound = _bound.GetOrAdd(address, identity);
        return bound == identity;
    }

    /// <summary>The identity bound to <paramref name="address"/>, if any.</summary>
    internal NodeIdentity? BoundIdentity(Address address) => _bound.TryGetValue(address, out var identity) ? identity : null;

    /// <summary>Forgets the binding of an address that left the cluster (its node is gone; the address may be reused).</summary>
    public void Unbind(Address address) => _bound.TryRemove(address, out _);

    // ------------------------------------------------------------------ refusals

    /// <summary>
    /// Counts a refused connection or message (by reason and peer) and logs it, at most once per peer per
    /// <c>log-interval</c> (the count keeps going). Returns <paramref name="reason"/>.
    /// </summary>
    public string Refuse(string reason, string peer, string detail)
    {
        var count = _refused.AddOrUpdate((peer, reason), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
        var now = Stopwatch.GetTimestamp();
        var interval = (long)(Settings.LogInterval.TotalSeconds * Stopwatch.Frequency);
        var last = _lastLogged.GetOrAdd(peer, long.MinValue);
        if (last == long.MinValue || now - last >= interval)
        {
            if (_lastLogged.TryUpdate(peer, now, last))
                _log.Warning("Refused from {0} ({1}, {2} so far): {3}. Further refusals from this peer are counted and logged at most every {4}.",
                    peer, reason, count, detail, Settings.LogInterval);
        }
        return reason;
    }

    /// <summary>
    /// Counts and (rate-limited) logs a protocol message an actor refused because of who sent it: the counter is
    /// "<paramref name="reason"/>:<c>MessageType</c>", the peer the sender's origin.
    /// </summary>
    public void RefuseMessage(object message, IActorRef? sender, string reason)
    {
        var origin = OriginOf(sender);
        var peer = origin.Kind == OriginKind.Authenticated ? origin.Identity!.ToString() : origin.ToString();
        Refuse($"{reason}:{message.GetType().Name}", peer, $"{message.GetType().Name} from {origin} ({sender?.Path.ToString() ?? "no sender"}) refused: {reason}");
    }

    /// <summary>Refusals so far: per reason, and per peer and reason.</summary>
    public (IReadOnlyDictionary<string, long> ByReason, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> ByPeer) Refusals()
    {
        var items = _refused.ToArray();
        var byReason = items.GroupBy(kv => kv.Key.Reason, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal);
        var byPeer = items.GroupBy(kv => kv.Key.Peer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, long>)g.ToDictionary(kv => kv.Key.Reason, kv => kv.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        return (byReason, byPeer);
    }

    /// <summary>Total refusals so far (every reason and peer).</summary>
    public long RefusedTotal => Interlocked.Read(ref _total);

    private long _total;

    /// <summary>The addresses bound to identities so far.</summary>
    public IReadOnlyDictionary<Address, NodeIdentity> Bindings => _bound;
}

/// <summary>The certificates a node loaded before creating its actor system, given to <see cref="NodeSecurity"/> so they are not loaded again.</summary>
public sealed class NodeSecuritySetup(ClusterTrust trust) : Akka.Actor.Setup.Setup
{
    public ClusterTrust Trust { get; } = trust;
}

/// <summary>Creates the <see cref="NodeSecurity"/> extension.</summary>
public sealed class NodeSecurityProvider : ExtensionIdProvider<NodeSecurity>
{
    public override NodeSecurity CreateExtension(ExtendedActorSystem system) => new(system);
}
