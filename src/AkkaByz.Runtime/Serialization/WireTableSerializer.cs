using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace AkkaByz.Runtime.Serialization;

/// <summary>
/// The frame of the AkkaByz serializers (protocol, cluster, transport): a <see cref="SerializerWithStringManifest"/>
/// whose manifests and bytes are those of one <see cref="WireTable"/>, registered with <see cref="WireCodecs"/> under
/// its identifier so the tcp vector carrier can move its messages, and guarded in mode = mtls: its messages do not
/// pass through Akka.Remote, except those the serializer allows.
/// </summary>
public abstract class WireTableSerializer : SerializerWithStringManifest, IWireCodec
{
    private readonly WireTable _table;
    private readonly int _id;
    private readonly Func<string, bool>? _allowedOverRemoteWhenGuarded;

    /// <param name="system">The actor system Akka creates the serializer in.</param>
    /// <param name="table">The wire format: every message type with its manifest, writer and reader.</param>
    /// <param name="id">The serializer identifier (<see cref="WireSerializerIds"/>).</param>
    /// <param name="allowedOverRemoteWhenGuarded">
    /// The manifests that may still use Akka.Remote in mode = mtls; null: none.
    /// </param>
    private protected WireTableSerializer(ExtendedActorSystem system, WireTable table, int id, Func<string, bool>? allowedOverRemoteWhenGuarded = null)
        : base(system)
    {
        _table = table;
        _id = id;
        _allowedOverRemoteWhenGuarded = allowedOverRemoteWhenGuarded;
        WireCodecs.Register(system, id, this);
    }

    public sealed override int Identifier => _id;

    public sealed override string Manifest(object o) => _table.Manifest(o);

    /// <summary>
    /// Akka's entry point (Akka.Remote, serialize-messages). In mode = mtls a message of this table must never leave
    /// through Akka.Remote, where its sender would not be proven, unless the serializer allows its manifest: this
    /// throws (a send that bypassed the vector carrier is a bug).
    /// </summary>
    public sealed override byte[] ToBinary(object obj)
    {
        // ?.Invoke: without an allowance the manifest is not looked up (an unregistered object gets this error too).
        if (Security.RemoteInbound.IsGuarded(system) && _allowedOverRemoteWhenGuarded?.Invoke(Manifest(obj)) != true)
            throw new SerializationException($"{obj?.GetType().Name} must travel through the vector carrier in mode = mtls (akkabyz-cluster.security), not through Akka.Remote.");
        return Encode(obj!);
    }

    /// <summary>The wire form of <paramref name="obj"/> (the vector carrier calls this directly).</summary>
    internal byte[] Encode(object obj) => _table.Encode(obj);

    byte[] IWireCodec.Encode(object message) => Encode(message);

    object IWireCodec.Decode(byte[] bytes, string manifest) => Decode(bytes, manifest);

    /// <summary>
    /// Akka's entry point: in mode = mtls every message of this table that arrives through Akka.Remote is refused
    /// (counted, replaced by <see cref="Security.RefusedRemoteMessage"/>, which no actor handles), unless the serializer
    /// allows its manifest: between nodes they travel only on the certificate-checked vector carrier, which calls
    /// <see cref="Decode"/>.
    /// </summary>
    public sealed override object FromBinary(byte[] bytes, string manifest)
    {
        if (Security.RemoteInbound.IsGuarded(system) && _allowedOverRemoteWhenGuarded?.Invoke(manifest) != true)
            return Security.RemoteInbound.Refuse(system, manifest);
        return Decode(bytes, manifest);
    }

    /// <summary>Rebuilds a message from its wire form (the vector carrier calls this directly).</summary>
    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    internal object Decode(byte[] bytes, string manifest) => _table.Decode(bytes, manifest);
}
