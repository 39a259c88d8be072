using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using AkkaByz.Runtime.Transport.Chunked;
using AkkaByz.Runtime.Transport.Tcp;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// How the training protocol's big messages leave a node. <see cref="Tell"/> is a plain Tell except for a
/// <see cref="Protocol.Params"/> or <see cref="Protocol.Update"/> whose vector has at least
/// <c>akkabyz-transport.threshold</c> bytes and whose target lives on another node: that one goes through the
/// configured <see cref="IVectorCarrier"/> and is delivered there as the same message from the same sender. Actors
/// stay unaware of the difference; the receiving actor validates it exactly as any other message.
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

    internal VectorTransport(ExtendedActorSystem system)
    {
        _system = system;
        _log = Logging.GetLogger(system, typeof(VectorTransport));
        Settings = VectorTransportSettings.Create(system.Settings.Config);
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
        if (_carrier is not null && target is IActorRefScope { IsLocal: false }
            && VectorPayload.TryFrom(message, out var payload) && payload.Bytes >= Settings.Threshold)
        {
            Stats.Sent(payload.Bytes);
            _carrier.Send(target, payload, sender);
            return;
        }
        target.Tell(message, sender);
    }

    /// <summary>
    /// The receiving side of every carrier: rebuilds the message and tells it to the local actor at
    /// <paramref name="targetPath"/> as from <paramref name="senderPath"/> (both as written by
    /// <see cref="PathOf"/>, with the actor's uid). Returns the reason when the frame is refused: the target must be a
    /// live actor of this node (never a relay to a third node), the sender must parse.
    /// </summary>
    internal string? Deliver(string targetPath, string senderPath, VectorPayload payload)
    {
        IActorRef target, sender;
        try
        {
            target = _system.Provider.ResolveActorRef(targetPath);
            sender = senderPath.Length == 0 ? ActorRefs.Nobody : _system.Provider.ResolveActorRef(senderPath);
        }
        catch (Exception e)
        {
            return Reject("bad-path", $"unparsable actor path ({e.Message})");
        }
        if (target is not IActorRefScope { IsLocal: true } || target.IsNobody() || target is DeadLetterActorRef)
            return Reject("not-local", $"target {targetPath} is not an actor of this node");
        Stats.Delivered(payload.Bytes);
        target.Tell(payload.ToMessage(), sender);
        return null;
    }

    internal string Reject(string reason, string detail)
    {
        Stats.Rejected(reason);
        _log.Warning("Vector transport: refused an incoming vector message ({0}): {1}.", reason, detail);
        return reason;
    }

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
