using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaByz.Runtime.Serialization;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Binary serializer for the cluster-mode messages (<see cref="IAkkaByzClusterMessage"/>) and the chunked vector
/// transport (<see cref="Transport.VectorChunk"/>, <see cref="Transport.ChunkAck"/>): the same little-endian wire
/// primitives as <see cref="AkkaByzSerializer"/>; malformed bytes throw <see cref="SerializationException"/>.
/// </summary>
public sealed class ClusterProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Serializer identifier (0–40 are Akka's; 4711 is <see cref="AkkaByzSerializer"/>).</summary>
    public const int Id = 4712;

    public override int Identifier => Id;

    internal const string JoinRunManifest = "cj";
    internal const string RunAssignmentManifest = "ca";
    internal const string JoinRefusedManifest = "cr";
    internal const string RunFinishedManifest = "cf";
    internal const string VectorChunkManifest = "vc";
    internal const string ChunkAckManifest = "va";
    internal const string VectorEndpointQueryManifest = "vq";
    internal const string VectorEndpointManifest = "ve";

    public override string Manifest(object o) => o switch
    {
        JoinRun => JoinRunManifest,
        RunAssignment => RunAssignmentManifest,
        JoinRefused => JoinRefusedManifest,
        RunFinished => RunFinishedManifest,
        VectorChunk => VectorChunkManifest,
        ChunkAck => ChunkAckManifest,
        VectorEndpointQuery => VectorEndpointQueryManifest,
        VectorEndpoint => VectorEndpointManifest,
        _ => throw new ArgumentException($"ClusterProtocolSerializer cannot serialize {o?.GetType().FullName ?? "null"}.", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        switch (obj)
        {
            case JoinRun j:
            {
                var w = new WireWriter();
                w.String(j.Name);
                w.Int32(j.PreviousIndex);
                w.String(j.Incarnation);
                return w.ToArray();
            }
            case RunAssignment a:
            {
                var w = new WireWriter(256 + a.ConfigLayers.Sum(l => l.Length * 3));
                w.String(a.Incarnation);
                w.Int32(a.WorkerIndex);
                w.Int32(a.ConfigLayers.Count);
                foreach (var layer in a.ConfigLayers) w.String(layer);
                w.Int32(a.Dimension);
                return w.ToArray();
            }
            case JoinRefused r:
            {
                var w = new WireWriter();
                w.String(r.Reason);
                return w.ToArray();
            }
            case RunFinished f:
            {
                var w = new WireWriter();
                w.Bool(f.Completed);
                w.String(f.Reason);
                return w.ToArray();
            }
            case VectorChunk c:
            {
                var w = new WireWriter(40 + c.Part.Length * 4);
                w.Int64(c.TransferId);
                w.Int32(c.Index);
                w.Int32(c.Count);
                w.Int32(c.TotalLength);
                w.Floats(c.Part);
                return w.ToArray();
            }
            case ChunkAck a:
            {
                var w = new WireWriter();
                w.Int64(a.TransferId);
                w.Int32(a.Index);
                return w.ToArray();
            }
            case VectorEndpointQuery:
                return [];
            case VectorEndpoint e:
            {
                var w = new WireWriter();
                w.Int32(e.Port);
                w.String(e.Mode);
                return w.ToArray();
            }
            default:
                throw new ArgumentException($"ClusterProtocolSerializer cannot serialize {obj?.GetType().FullName ?? "null"}.", nameof(obj));
        }
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var r = new WireReader(bytes, manifest);
        object result = manifest switch
        {
            JoinRunManifest => new JoinRun(r.String("name"), r.Int32("previousIndex"), r.String("incarnation")),
            RunAssignmentManifest => ReadAssignment(ref r),
            JoinRefusedManifest => new JoinRefused(r.String("reason")),
            RunFinishedManifest => new RunFinished(r.Bool("completed"), r.String("reason")),
            VectorChunkManifest => new VectorChunk(r.Int64("transferId"), r.Int32("index"), r.Int32("count"), r.Int32("totalLength"), r.Floats("part")),
            ChunkAckManifest => new ChunkAck(r.Int64("transferId"), r.Int32("index")),
            VectorEndpointQueryManifest => VectorEndpointQuery.Instance,
            VectorEndpointManifest => new VectorEndpoint(r.Int32("port"), r.String("mode")),
            _ => throw new SerializationException($"AkkaByz cluster wire: unknown manifest '{manifest}' ({bytes.Length} bytes)."),
        };
        r.End();
        return result;
    }

    private static RunAssignment ReadAssignment(ref WireReader r)
    {
        var incarnation = r.String("incarnation");
        var index = r.Int32("workerIndex");
        var n = r.Int32("configLayers.count");
        if (n is < 0 or > 1024) throw new SerializationException($"AkkaByz cluster wire: malformed 'ca' message: {n} config layers.");
        var layers = new string[n];
        for (var i = 0; i < n; i++) layers[i] = r.String("configLayer");
        return new RunAssignment(incarnation, index, layers, r.Int32("dimension"));
    }
}
