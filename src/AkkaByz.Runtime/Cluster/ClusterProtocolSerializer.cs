using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaByz.Runtime.Serialization;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Binary serializer for the cluster-mode messages (<see cref="IAkkaByzClusterMessage"/>, all in ClusterMessages.cs):
/// the same little-endian wire primitives as <see cref="AkkaByzSerializer"/>; malformed bytes throw
/// <see cref="SerializationException"/>. The vector transport's messages have their own serializer
/// (<see cref="Transport.TransportSerializer"/>).
/// </summary>
public sealed class ClusterProtocolSerializer : SerializerWithStringManifest, IWireCodec
{
    public ClusterProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
        WireCodecs.Register(system, Id, this);
    }

    /// <summary>Serializer identifier (0–40 are Akka's; see <see cref="WireSerializerIds"/>).</summary>
    public const int Id = WireSerializerIds.Cluster;

    public override int Identifier => Id;

    internal const string JoinRunManifest = "cj";
    internal const string RunAssignmentManifest = "ca";
    internal const string JoinRefusedManifest = "cr";
    internal const string RunFinishedManifest = "cf";

    /// <summary>The cluster messages' wire format: one registration per message (manifest, type, write, read).</summary>
    internal static readonly WireTable Table = new WireTable(nameof(ClusterProtocolSerializer), "AkkaByz cluster wire")
        .Add<JoinRun>(JoinRunManifest, (w, m) => { w.String(m.Name); w.Int32(m.PreviousIndex); w.String(m.Incarnation); },
            (ref WireReader r) => new JoinRun(r.String("name"), r.Int32("previousIndex"), r.String("incarnation")))
        .Add<RunAssignment>(RunAssignmentManifest, WriteAssignment, ReadAssignment, m => 256 + m.ConfigLayers.Sum(l => l.Length * 3))
        .Add<JoinRefused>(JoinRefusedManifest, (w, m) => w.String(m.Reason),
            (ref WireReader r) => new JoinRefused(r.String("reason")))
        .Add<RunFinished>(RunFinishedManifest, (w, m) => { w.Bool(m.Completed); w.String(m.Reason); },
            (ref WireReader r) => new RunFinished(r.Bool("completed"), r.String("reason")));

    public override string Manifest(object o) => Table.Manifest(o);

    /// <summary>
    /// Akka's entry point (Akka.Remote, serialize-messages). In mode = mtls a protocol message must never leave through
    /// Akka.Remote, where its sender would not be proven: this throws (a send that bypassed the vector carrier is a bug).
    /// </summary>
    public override byte[] ToBinary(object obj)
    {
        if (Security.RemoteInbound.IsGuarded(system))
            throw new SerializationException($"{obj?.GetType().Name} must travel through the vector carrier in mode = mtls (akkabyz-cluster.security), not through Akka.Remote.");
        return Encode(obj);
    }

    /// <summary>The wire form of <paramref name="obj"/> (the vector carrier calls this directly).</summary>
    internal byte[] Encode(object obj) => Table.Encode(obj);

    byte[] IWireCodec.Encode(object message) => Encode(message);

    object IWireCodec.Decode(byte[] bytes, string manifest) => Decode(bytes, manifest);

    /// <summary>
    /// Akka's entry point: in mode = mtls every protocol message that arrives through Akka.Remote is refused (counted,
    /// replaced by <see cref="Security.RefusedRemoteMessage"/>, which no actor handles): between nodes they travel only
    /// on the certificate-checked vector carrier, which calls <see cref="Decode"/>.
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (Security.RemoteInbound.IsGuarded(system))
            return Security.RemoteInbound.Refuse(system, manifest);
        return Decode(bytes, manifest);
    }

    /// <summary>Rebuilds a message from its wire form (the vector carrier calls this directly).</summary>
    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    internal object Decode(byte[] bytes, string manifest) => Table.Decode(bytes, manifest);

    private static void WriteAssignment(WireWriter w, RunAssignment a)
    {
        w.String(a.Incarnation);
        w.Int32(a.WorkerIndex);
        w.Int32(a.ConfigLayers.Count);
        foreach (var layer in a.ConfigLayers) w.String(layer);
        w.Int32(a.Dimension);
        w.String(a.TapPath);
        w.Int64(a.ResumeRound);
        w.Int32(a.SnapshotEvery);
    }

    private static RunAssignment ReadAssignment(ref WireReader r)
    {
        var incarnation = r.String("incarnation");
        var index = r.Int32("workerIndex");
        var n = r.Int32("configLayers.count");
        if (n is < 0 or > 1024) throw new SerializationException($"AkkaByz cluster wire: malformed 'ca' message: {n} config layers.");
        var layers = new string[n];
        for (var i = 0; i < n; i++) layers[i] = r.String("configLayer");
        return new RunAssignment(incarnation, index, layers, r.Int32("dimension"), r.String("tapPath"), r.Int64("resumeRound"), r.Int32("snapshotEvery"));
    }
}
