using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using AkkaByz.Runtime.Serialization;
using AkkaByz.Runtime.Transport.Chunked;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// Binary serializer for the vector transport's own messages (<see cref="IAkkaByzTransportMessage"/>): the tcp
/// carrier's endpoint discovery (<see cref="VectorEndpointQuery"/>, <see cref="VectorEndpoint"/>) and the akka-chunked
/// carrier's chunks (<see cref="VectorChunk"/>, <see cref="ChunkAck"/>, <see cref="ChunkRefused"/>), with the same
/// little-endian wire primitives as the protocol serializer; malformed bytes throw
/// <see cref="SerializationException"/>. A chunk's contents (indices, lengths, envelope) are checked by its receiver,
/// which counts what it refuses.
/// </summary>
public sealed class TransportSerializer(ExtendedActorSystem system) : WireTableSerializer(system, Table, Id, AllowedOverRemoteWhenGuarded)
{
    /// <summary>Serializer identifier (0–40 are Akka's; 4711 and 4712 are the protocol's and the cluster's).</summary>
    public const int Id = WireSerializerIds.Transport;

    internal const string VectorChunkManifest = "vc";
    internal const string ChunkAckManifest = "va";
    internal const string ChunkRefusedManifest = "vr";
    internal const string VectorEndpointQueryManifest = "vq";
    internal const string VectorEndpointManifest = "ve";

    /// <summary>The transport's wire format: one registration per message (manifest, type, write, read).</summary>
    internal static readonly WireTable Table = new WireTable(nameof(TransportSerializer), "AkkaByz transport wire")
        .AddRaw<VectorChunk>(VectorChunkManifest, WriteChunk, ReadChunk)
        .Add<ChunkAck>(ChunkAckManifest, (w, m) => { w.Int64(m.TransferId); w.Int32(m.Index); },
            (ref WireReader r) => new ChunkAck(r.Int64("transferId"), r.Int32("index")))
        .Add<ChunkRefused>(ChunkRefusedManifest, (w, m) => { w.Int64(m.TransferId); w.String(m.Reason); },
            (ref WireReader r) => new ChunkRefused(r.Int64("transferId"), r.String("reason")))
        .Add<VectorEndpointQuery>(VectorEndpointQueryManifest, (w, m) => w.Int64(m.Nonce),
            (ref WireReader r) => new VectorEndpointQuery(r.Int64("nonce")))
        .Add<VectorEndpoint>(VectorEndpointManifest, (w, m) => { w.Int32(m.Port); w.String(m.Mode); w.Int64(m.Nonce); },
            (ref WireReader r) => new VectorEndpoint(r.Int32("port"), r.String("mode"), r.Int64("nonce")));

    /// <summary>
    /// The messages that may use Akka.Remote in mode = mtls: the endpoint discovery, which proves nothing by itself (its
    /// nonce is checked). Chunks may not (the akka-chunked carrier does not prove its sender): sending one through
    /// Akka.Remote throws, and one that arrives through it is refused (counted, replaced by
    /// <see cref="Security.RefusedRemoteMessage"/>, which no actor handles).
    /// </summary>
    private static bool AllowedOverRemoteWhenGuarded(string manifest) => manifest is VectorEndpointQueryManifest or VectorEndpointManifest;

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
    private static VectorChunk ReadChunk(byte[] bytes, string manifest)
    {
        var r = new WireReader(bytes, manifest);
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
                $"AkkaByz transport wire: malformed '{VectorChunkManifest}' message: a part of {count} floats after offset {offset + 4} in a message of {bytes.Length} bytes.");
        return new VectorChunk(id, index, new FloatsInBytes(bytes, offset + 4, count).Memory, envelope);
    }
}
