using System.Buffers.Binary;
using System.Runtime.InteropServices;
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

    /// <summary>
    /// Akka's entry point (Akka.Remote, serialize-messages). In mode = mtls a protocol message must never leave through
    /// Akka.Remote, where its sender would not be proven: this throws (a send that bypassed the vector carrier is a bug).
    /// </summary>
    public override byte[] ToBinary(object obj)
    {
        if (Security.RemoteInbound.IsGuarded(system) && Manifest(obj) is not (VectorEndpointQueryManifest or VectorEndpointManifest))
            throw new SerializationException($"{obj?.GetType().Name} must travel through the vector carrier in mode = mtls (akkabyz-cluster.security), not through Akka.Remote.");
        return Encode(obj);
    }

    /// <summary>The wire form of <paramref name="obj"/> (the vector carrier calls this directly).</summary>
    internal byte[] Encode(object obj)
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
                w.String(a.TapPath);
                w.Int64(a.ResumeRound);
                w.Int32(a.SnapshotEvery);
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
            case VectorEndpointQuery q:
            {
                var w = new WireWriter();
                w.Int64(q.Nonce);
                return w.ToArray();
            }
            case VectorEndpoint e:
            {
                var w = new WireWriter();
                w.Int32(e.Port);
                w.String(e.Mode);
                w.Int64(e.Nonce);
                return w.ToArray();
            }
            default:
                throw new ArgumentException($"ClusterProtocolSerializer cannot serialize {obj?.GetType().FullName ?? "null"}.", nameof(obj));
        }
    }

    /// <summary>
    /// Akka's entry point: in mode = mtls every protocol message that arrives through Akka.Remote is refused (counted,
    /// replaced by <see cref="Security.RefusedRemoteMessage"/>, which no actor handles): between nodes they travel only
    /// on the certificate-checked vector carrier, which calls <see cref="Decode"/>.
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (Security.RemoteInbound.IsGuarded(system) && !(manifest is VectorEndpointQueryManifest or VectorEndpointManifest))
            return Security.RemoteInbound.Refuse(system, manifest);
        return Decode(bytes, manifest);
    }

    /// <summary>Rebuilds a message from its wire form (the vector carrier calls this directly).</summary>
    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    internal object Decode(byte[] bytes, string manifest)
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
            VectorEndpointQueryManifest => new VectorEndpointQuery(r.Int64("nonce")),
            VectorEndpointManifest => new VectorEndpoint(r.Int32("port"), r.String("mode"), r.Int64("nonce")),
            _ => throw new SerializationException($"AkkaByz cluster wire: unknown manifest '{manifest}' ({bytes.Length} bytes)."),
        };
        r.End();
        return result;
    }

    // VectorChunk: i64 transfer id, i32 index, bool has-envelope, [i32 kind, i64 round, f64 loss, string target,
    // string sender, i32 total floats, i32 chunk floats, i32 chunk count], then the floats (i32 count + raw bytes).
    private static byte[] WriteChunk(VectorChunk c)
    {
        // Written straight into an array of the exact size (a chunk is MBs: no growing buffer, no final copy).
        var e = c.Envelope;
        var target = e is null ? 0 : Encoding.UTF8.GetByteCount(e.TargetPath);
        var sender = e is null ? 0 : Encoding.UTF8.GetByteCount(e.SenderPath);
        var head = 13 + (e is null ? 0 : 4 + 8 + 8 + 4 + target + 4 + sender + 12);
        var bytes = GC.AllocateUninitializedArray<byte>(checked(head + 4 + 4 * c.Part.Length));
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span, c.TransferId);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], c.Index);
        span[12] = e is null ? (byte)0 : (byte)1;
        if (e is not null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[13..], (byte)e.Kind);
            BinaryPrimitives.WriteInt64LittleEndian(span[17..], e.Round);
            BinaryPrimitives.WriteDoubleLittleEndian(span[25..], e.Loss);
            BinaryPrimitives.WriteInt32LittleEndian(span[33..], target);
            Encoding.UTF8.GetBytes(e.TargetPath, span[37..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[(37 + target)..], sender);
            Encoding.UTF8.GetBytes(e.SenderPath, span[(41 + target)..]);
            var tail = span[(41 + target + sender)..];
            BinaryPrimitives.WriteInt32LittleEndian(tail, e.TotalFloats);
            BinaryPrimitives.WriteInt32LittleEndian(tail[4..], e.ChunkFloats);
            BinaryPrimitives.WriteInt32LittleEndian(tail[8..], e.ChunkCount);
        }
        BinaryPrimitives.WriteInt32LittleEndian(span[head..], c.Part.Length);
        var floats = span[(head + 4)..];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(c.Part.Span).CopyTo(floats);
        else
            for (var i = 0; i < c.Part.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(floats[(4 * i)..], c.Part.Span[i]);
        return bytes;
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
        return new RunAssignment(incarnation, index, layers, r.Int32("dimension"), r.String("tapPath"), r.Int64("resumeRound"), r.Int32("snapshotEvery"));
    }
}
