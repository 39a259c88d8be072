using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
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
public sealed class TransportSerializer : SerializerWithStringManifest, IWireCodec
{
    public TransportSerializer(ExtendedActorSystem system) : base(system)
    {
        WireCodecs.Register(system, Id, this);
    }

    /// <summary>Serializer identifier (0–40 are Akka's; 4711 and 4712 are the protocol's and the cluster's).</summary>
    public const int Id = WireSerializerIds.Transport;

    public override int Identifier => Id;

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

    /// <summary>The messages that may use Akka.Remote in mode = mtls: the endpoint discovery, which proves nothing by itself (its nonce is checked).</summary>
    private static bool AllowedOverRemoteWhenGuarded(string manifest) => manifest is VectorEndpointQueryManifest or VectorEndpointManifest;

    public override string Manifest(object o) => Table.Manifest(o);

    /// <summary>
    /// Akka's entry point (Akka.Remote, serialize-messages). In mode = mtls chunks must never leave through Akka.Remote
    /// (the akka-chunked carrier does not prove its sender): this throws; the endpoint discovery may.
    /// </summary>
    public override byte[] ToBinary(object obj)
    {
        if (Security.RemoteInbound.IsGuarded(system) && !AllowedOverRemoteWhenGuarded(Manifest(obj)))
            throw new SerializationException($"{obj?.GetType().Name} must travel through the vector carrier in mode = mtls (akkabyz-cluster.security), not through Akka.Remote.");
        return Encode(obj);
    }

    /// <summary>The wire form of <paramref name="obj"/>.</summary>
    internal byte[] Encode(object obj) => Table.Encode(obj);

    byte[] IWireCodec.Encode(object message) => Encode(message);

    object IWireCodec.Decode(byte[] bytes, string manifest) => Decode(bytes, manifest);

    /// <summary>
    /// Akka's entry point: in mode = mtls a chunk that arrives through Akka.Remote is refused (counted, replaced by
    /// <see cref="Security.RefusedRemoteMessage"/>, which no actor handles).
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (Security.RemoteInbound.IsGuarded(system) && !AllowedOverRemoteWhenGuarded(manifest))
            return Security.RemoteInbound.Refuse(system, manifest);
        return Decode(bytes, manifest);
    }

    /// <summary>Rebuilds a message from its wire form.</summary>
    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    internal object Decode(byte[] bytes, string manifest) => Table.Decode(bytes, manifest);

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
