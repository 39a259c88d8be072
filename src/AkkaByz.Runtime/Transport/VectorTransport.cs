using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport.Chunked;
using AkkaByz.Runtime.Transport.Tcp;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// How the protocol's messages leave a node. <see cref="Tell"/> is a plain Tell except for a message whose target
/// lives on another node and that is either a <see cref="Protocol.Params"/> or <see cref="Protocol.Update"/> (or the
/// simulated adversary's vectors) of at least <c>akkabyz-transport.threshold</c> bytes, or — in mode = mtls
/// (<c>akkabyz-cluster.security</c>) — any protocol message at all: that one goes through the configured
/// <see cref="IVectorCarrier"/> and is delivered there as the same message from the same sender, whose node the
/// carrier authenticated (see <see cref="NodeSecurity"/>). Actors stay unaware of the difference; the receiving actor
/// validates it exactly as any other message.
/// <para>
/// An Akka extension: one per actor system, created by <see cref="Get"/>. Remote and cluster systems start the
/// carrier's receiving side at creation, so a node calls <see cref="Get"/> when it starts (before peers send);
/// a local system never starts anything.
/// </para>
/// </summary>
public sealed class VectorTransport : IExtension
{
    private readonly ExtendedActorSystem _system;
    private readonly ILoggingAdapter _log;
    private readonly IVectorCarrier? _carrier;
    private readonly NodeSecurity _security;

    internal VectorTransport(ExtendedActorSystem system)
    {
        _system = system;
        _log = Logging.GetLogger(system, typeof(VectorTransport));
        Settings = VectorTransportSettings.Create(system.Settings.Config);
        _security = NodeSecurity.Get(system);
        if (_security.IsSecure && system.Provider is IRemoteActorRefProvider && Settings.Mode != VectorTransportMode.Tcp)
            throw new Configuration.SettingsException(
                $"akkabyz-transport.mode = {VectorTransportSettings.ModeName(Settings.Mode)}: with akkabyz-cluster.security.mode = mtls every message between nodes must travel " +
                "on the certificate-checked tcp carrier (Akka.Remote cannot prove which node sent a message); use mode = tcp, or mode = insecure on a trusted network.");
        Buffers = new VectorBufferPool(Settings.ReceivePoolBytes);
        if (system.Provider is IRemoteActorRefProvider)
        {
            _carrier = Settings.Mode switch
            {
                VectorTransportMode.Tcp => new TcpVectorCarrier(system, this),
                VectorTransportMode.AkkaChunked => new ChunkedVectorCarrier(system, this),
                _ => null,
            };
        }
        system.RegisterOnTermination(() => _carrier?.Dispose());
    }

    /// <summary>The transport of <paramref name="system"/> (created, and its receiving side started, on first use).</summary>
    public static VectorTransport Get(ActorSystem system) => system.WithExtension<VectorTransport, VectorTransportProvider>();

    public VectorTransportSettings Settings { get; }

    /// <summary>The active carrier's mode name, or "akka" when every message is a plain Tell.</summary>
    public string ModeName => _carrier?.Name ?? VectorTransportSettings.ModeName(VectorTransportMode.Akka);

    /// <summary>The carrier's receiving endpoint on this node, when it has one (the TCP port).</summary>
    public int? ListeningPort => (_carrier as TcpVectorCarrier)?.Port;

    public VectorTransportStats Stats { get; } = new();

    /// <summary>Where carriers get the arrays incoming updates are read into (see <see cref="Recycle"/>).</summary>
    internal VectorBufferPool Buffers { get; }

    /// <summary>
    /// Hands back vectors of updates that arrived through this transport once the receiver is done with them (the
    /// aggregator, after each round's aggregation), so the next round's updates are read into warm memory instead
    /// of fresh arrays. Vectors that did not come from the transport are ignored, so passing every input is safe;
    /// a returned vector must not be read again. Thread-safe.
    /// </summary>
    public void Recycle(IEnumerable<float[]> vectors)
    {
        foreach (var v in vectors) Buffers.Return(v);
    }

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> as from <paramref name="sender"/> (see the class).</summary>
    public void Tell(IActorRef target, object message, IActorRef sender)
    {
        if (_carrier is not null && target is IActorRefScope { IsLocal: false })
        {
            var secure = _security.IsSecure;
            if (VectorPayload.TryFrom(message, out var payload) && (secure || payload.Bytes >= Settings.Threshold))
            {
                Stats.Sent(payload.Bytes);
                _carrier.Send(target, payload, sender);
                return;
            }
            if (secure && _carrier is TcpVectorCarrier tcp && tcp.KindOf(message) is not null)
            {
                tcp.SendMessage(target, message, sender);
                return;
            }
        }
        target.Tell(message, sender);
    }

    /// <summary>
    /// The run's d, once this node knows it: from then on an incoming vector of any other size is refused on its
    /// header, before anything is allocated (tcp carrier; the chunked receiver checks the envelope likewise).
    /// </summary>
    public int? ExpectedDimension
    {
        get => _expected;
        set
        {
            _expected = value;
            if (_carrier is TcpVectorCarrier tcp) tcp.ExpectedFloats = value;
        }
    }

    private int? _expected;

    /// <summary>
    /// The receiving side of every carrier: rebuilds the message and tells it to the local actor at
    /// <paramref name="targetPath"/> as from <paramref name="senderPath"/> (both as written by
    /// <see cref="PathOf"/>, with the actor's uid). Returns the reason when the frame is refused: the target must be a
    /// live actor of this node (never a relay to a third node), the sender must parse.
    /// </summary>
    internal string? Deliver(string targetPath, string senderPath, VectorPayload payload, string peer = "")
    {
        if (!Resolve(targetPath, senderPath, peer, out var target, out var sender, out var refusal)) return refusal;
        Stats.Delivered(payload.Bytes);
        target.Tell(payload.ToMessage(), sender);
        return null;
    }

    /// <summary>As <see cref="Deliver"/>, for a protocol message that is not a vector (mode = mtls).</summary>
    internal string? DeliverMessage(string targetPath, string senderPath, object message, string peer)
    {
        if (!Resolve(targetPath, senderPath, peer, out var target, out var sender, out var refusal)) return refusal;
        target.Tell(message, sender);
        return null;
    }

    private bool Resolve(string targetPath, string senderPath, string peer, out IActorRef target, out IActorRef sender, out string? refusal)
    {
        target = sender = ActorRefs.Nobody;
        try
        {
            target = _system.Provider.ResolveActorRef(targetPath);
            sender = senderPath.Length == 0 ? ActorRefs.Nobody : _system.Provider.ResolveActorRef(senderPath);
        }
        catch (Exception e)
        {
            refusal = Refuse("bad-path", peer, $"unparsable actor path ({e.Message})");
            return false;
        }
        if (target is not IActorRefScope { IsLocal: true })
        {
            refusal = Refuse("not-local", peer, $"target {targetPath} is not an actor of this node (carriers never relay)");
            return false;
        }
        if (target.IsNobody() || target is DeadLetterActorRef || target is EmptyLocalActorRef)
        {
            // Not a security event: an actor that stopped (the run ended) or has not started yet (a standby's coordinator
            // during a fail-over, asked by workers every join-interval). Counted, not logged above debug.
            Stats.Rejected("no-such-actor");
            _log.Debug("Vector transport: no actor {0} on this node for a message from {1}; dropped.", targetPath, peer);
            refusal = "no-such-actor";
            return false;
        }
        refusal = null;
        return true;
    }

    /// <summary>Counts a refused incoming connection, frame or transfer (by reason here, by reason and peer in <see cref="NodeSecurity"/>) and logs it, rate-limited per peer.</summary>
    internal string Refuse(string reason, string peer, string detail)
    {
        Stats.Rejected(reason);
        return _security.Refuse(reason, peer.Length == 0 ? "unknown" : peer, detail);
    }

    internal string Reject(string reason, string detail) => Refuse(reason, "", detail);

    /// <summary>The full path of <paramref name="actor"/> including its address and uid, as carriers write it.</summary>
    internal string PathOf(IActorRef actor) =>
        actor.IsNobody() ? "" : Akka.Serialization.Serialization.SerializedActorPath(actor);

    internal ExtendedActorSystem System => _system;

    internal ILoggingAdapter Log => _log;
}

/// <summary>Creates the <see cref="VectorTransport"/> extension.</summary>
public sealed class VectorTransportProvider : ExtensionIdProvider<VectorTransport>
{
    public override VectorTransport CreateExtension(ExtendedActorSystem system) => new(system);
}
