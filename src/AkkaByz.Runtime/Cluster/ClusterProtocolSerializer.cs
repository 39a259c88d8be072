using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using AkkaByz.Runtime.Serialization;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Chunked;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Binary serializer for the cluster-mode messages (<see cref="IAkkaByzClusterMessage"/>) and the akka-chunked vector
/// carrier (<see cref="VectorChunk"/>, <see cref="ChunkAck"/>, <see cref="ChunkRefused"/>): the same little-endian wire
/// primitives as <see cref="AkkaByzSerializer"/>; malformed bytes throw <see cref="SerializationException"/>. A
/// chunk's contents (indices, lengths, envelope) are checked by its receiver, which counts what it refuses.
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
    internal const string ChunkRefusedManifest = "vr";
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
        ChunkRefused => ChunkRefusedManifest,
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
                return WriteChunk(c);
            case ChunkAck a:
            {
                var w = new WireWriter();
                w.Int64(a.TransferId);
                w.Int32(a.Index);
                return w.ToArray();
            }
            case ChunkRefused f:
            {
                var w = new WireWriter();
                w.Int64(f.TransferId);
                w.String(f.Reason);
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
        if (manifest == VectorChunkManifest) return ReadChunk(bytes);
        var r = new WireReader(bytes, manifest);
        object result = manifest switch
        {
            JoinRunManifest => new JoinRun(r.String("name"), r.Int32("previousIndex"), r.String("incarnation")),
            RunAssignmentManifest => ReadAssignment(ref r),
            JoinRefusedManifest => new JoinRefused(r.String("reason")),
            RunFinishedManifest => new RunFinished(r.Bool("completed"), r.String("reason")),
            ChunkAckManifest => new ChunkAck(r.Int64("transferId"), r.Int32("index")),
            ChunkRefusedManifest => new ChunkRefused(r.Int64("transferId"), r.String("reason")),
            VectorEndpointQueryManifest => VectorEndpointQuery.Instance,
            VectorEndpointManifest => new VectorEndpoint(r.Int32("port"), r.String("mode")),
            _ => throw new SerializationException($"AkkaByz cluster wire: unknown manifest '{manifest}' ({bytes.Length} bytes)."),
        };
        r.End();
        return result;
    }

    // VectorChunk: i64 transfer id, i32 index, bool has-envelope, [i32 kind, i64 round, f64 loss, string target,
    // string sender, i32 total floats, i32 chunk floats, i32 chunk count], then the floats (i32 count + raw bytes).
    private static byte[] WriteChunk(VectorChunk c)
    {
        var e = c.Envelope;
        var w = new WireWriter(64 + 4 * c.Part.Length + (e is null ? 0 : 3 * (e.TargetPath.Length + e.SenderPath.Length)));
        w.Int64(c.TransferId);
        w.Int32(c.Index);
        w.Bool(e is not null);
        if (e is not null)
        {
            w.Int32((byte)e.Kind);
            w.Int64(e.Round);
            w.Double(e.Loss);
            w.String(e.TargetPath);
            w.String(e.SenderPath);
            w.Int32(e.TotalFloats);
            w.Int32(e.ChunkFloats);
            w.Int32(e.ChunkCount);
        }
        w.Floats(c.Part.Span);
        return w.ToArray();
    }

    /// <summary>
    /// Reads a chunk; its floats are not copied out of <paramref name="bytes"/> (see <see cref="FloatsInBytes"/>) on
    /// little-endian machines. The part's length must account for every remaining byte.
    /// </summary>
    private static VectorChunk ReadChunk(byte[] bytes)
    {
        var r = new WireReader(bytes, VectorChunkManifest);
        var id = r.Int64("transferId");
        var index = r.Int32("index");
        var offset = 13;
        VectorTransferEnvelope? envelope = null;
        if (r.Bool("hasEnvelope"))
        {
            // An out-of-range kind becomes 255 (undefined), which the receiver refuses and counts as bad-kind.
            var kind = (VectorKind)(byte)Math.Clamp(r.Int32("kind"), 0, 255);
            envelope = new VectorTransferEnvelope(kind, r.Int64("round"), r.Double("loss"), r.String("targetPath"), r.String("senderPath"),
                r.Int32("totalFloats"), r.Int32("chunkFloats"), r.Int32("chunkCount"));
            // Strictly decoded UTF-8 re-encodes to the same byte count.
            offset += 4 + 8 + 8 + 4 + Encoding.UTF8.GetByteCount(envelope.TargetPath) + 4 + Encoding.UTF8.GetByteCount(envelope.SenderPath) + 12;
        }
        if (!BitConverter.IsLittleEndian)
        {
            var part = r.Floats("part");
            r.End();
            return new VectorChunk(id, index, part, envelope);
        }
        var count = r.Int32("part.length");
        if (count < 0 || offset + 4 + 4L * count != bytes.Length)
            throw new SerializationException(
                $"AkkaByz cluster wire: malformed '{VectorChunkManifest}' message: a part of {count} floats after offset {offset + 4} in a message of {bytes.Length} bytes.");
        return new VectorChunk(id, index, new FloatsInBytes(bytes, offset + 4, count).Memory, envelope);
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
