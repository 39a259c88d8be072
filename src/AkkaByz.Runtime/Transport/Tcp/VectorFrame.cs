using System.Buffers.Binary;
using System.Text;

namespace AkkaByz.Runtime.Transport.Tcp;

/// <summary>What a frame carries (byte 5 of its header).</summary>
public enum FrameKind : byte
{
    /// <summary>Kinds 1–4 are the vector messages of <see cref="VectorKind"/> (Params, Update, HonestCopy, CraftedVector).</summary>
    Params = 1,
    Update = 2,
    HonestCopy = 3,
    CraftedVector = 4,

    /// <summary>Any other training-protocol message, in the wire form of <see cref="Serialization.AkkaByzSerializer"/>.</summary>
    Message = 5,

    /// <summary>A cluster-mode message (JoinRun, RunAssignment, RunFinished...), in the wire form of the cluster serializer (<see cref="Serialization.WireSerializerIds.Cluster"/>).</summary>
    ClusterMessage = 6,

    /// <summary>The first frame of every connection: the connecting node's Akka address (UTF-8).</summary>
    Hello = 7,
}

/// <summary>The fixed part of a <see cref="VectorFrame"/>: what follows it and how to rebuild the message.</summary>
/// <param name="ManifestLength">Bytes of the serializer manifest after the paths (kinds 5 and 6; 0 otherwise).</param>
/// <param name="Body">Floats for the vector kinds; bytes for the others.</param>
public readonly record struct VectorFrameHeader(FrameKind Kind, int ManifestLength, int TargetLength, int SenderLength, long Round, double Loss, int Body)
{
    public bool IsVector => Kind is >= FrameKind.Params and <= FrameKind.CraftedVector;

    /// <summary>The vector kind (only when <see cref="IsVector"/>).</summary>
    public VectorKind VectorKind => (VectorKind)Kind;

    /// <summary>Floats of a vector frame (same as <see cref="Body"/>).</summary>
    public int Floats => Body;
}

/// <summary>What a receiver accepts, checked on the header before anything is allocated.</summary>
/// <param name="MaximumVectorBytes">Largest vector (<c>tcp.maximum-message-size</c>).</param>
/// <param name="ExpectedFloats">The run's d once known: a vector frame must hold exactly this many floats (null = any up to the maximum).</param>
/// <param name="MaximumControlBytes">Largest non-vector message (<c>security.max-control-message-size</c>).</param>
public readonly record struct FrameLimits(long MaximumVectorBytes, int? ExpectedFloats = null, long MaximumControlBytes = 1 << 20);

/// <summary>An incoming frame was refused; <see cref="Reason"/> is the short counter name.</summary>
public sealed class VectorFrameException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The wire format of <see cref="TcpVectorCarrier"/>, all little-endian. Every connection starts with a
/// <see cref="FrameKind.Hello"/> frame (the connecting node's Akka address); then, per message, a 36-byte header
/// <code>
///  0 u32 magic "AKZB"   4 u8 version (2)   5 u8 kind (FrameKind)   6 u16 manifest bytes (kinds 5, 6)
///  8 i32 target path bytes   12 i32 sender path bytes   16 i64 round   24 f64 loss   32 i32 body (floats for kinds 1–4, else bytes)
/// </code>
/// then the target and sender actor paths (UTF-8, with address and uid), the manifest (kinds 5, 6) and the body:
/// raw IEEE-754 floats read straight into the new vector, or a serializer's bytes. Everything is checked before
/// anything is allocated: <see cref="ParseHeader"/> throws <see cref="VectorFrameException"/> for a bad magic,
/// version, kind or length, a vector of another size than the run's d, or more than the limits allow, and the
/// connection is then closed (a stream cannot resynchronise).
/// </summary>
public static class VectorFrame
{
    public const int HeaderSize = 36;
    public const uint Magic = 0x425A4B41; // "AKZB" little-endian
    public const byte Version = 2;

    /// <summary>Longest accepted actor path (bytes).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Longest serializer manifest (bytes).</summary>
    public const int MaxManifestBytes = 16;

    /// <summary>Longest Akka address in a hello (bytes).</summary>
    public const int MaxHelloBytes = 1024;

    /// <summary>Writes the header and both paths of a vector frame for <paramref name="payload"/> into a new array.</summary>
    public static byte[] EncodePrefix(VectorPayload payload, string targetPath, string senderPath) =>
        Encode((FrameKind)payload.Kind, targetPath, senderPath, "", payload.Round, payload.Loss, payload.Vector.Length, ReadOnlySpan<byte>.Empty);

    /// <summary>A whole message frame: header, paths, manifest and the serialized <paramref name="body"/>.</summary>
    public static byte[] EncodeMessage(FrameKind kind, string targetPath, string senderPath, string manifest, ReadOnlySpan<byte> body)
    {
        if (kind is not (FrameKind.Message or FrameKind.ClusterMessage)) throw new ArgumentException($"kind {kind} is not a message kind.", nameof(kind));
        return Encode(kind, targetPath, senderPath, manifest, 0, 0, body.Length, body);
    }

    /// <summary>The hello frame: this node's Akka address.</summary>
    public static byte[] EncodeHello(string address)
    {
        var bytes = Encoding.UTF8.GetBytes(address);
        if (bytes.Length is 0 or > MaxHelloBytes) throw new ArgumentException($"address of {bytes.Length} bytes (1..{MaxHelloBytes}).", nameof(address));
        var frame = new byte[HeaderSize + bytes.Length];
        WriteHeader(frame, FrameKind.Hello, 0, 0, 0, 0, 0, bytes.Length);
        bytes.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    private static byte[] Encode(FrameKind kind, string targetPath, string senderPath, string manifest, long round, double loss, int body, ReadOnlySpan<byte> inlineBody)
    {
        var targetBytes = Encoding.UTF8.GetByteCount(targetPath);
        var senderBytes = Encoding.UTF8.GetByteCount(senderPath);
        var manifestBytes = Encoding.UTF8.GetByteCount(manifest);
        if (targetBytes is 0 or > MaxPathBytes) throw new ArgumentException($"target path of {targetBytes} bytes (1..{MaxPathBytes}).", nameof(targetPath));
        if (senderBytes > MaxPathBytes) throw new ArgumentException($"sender path of {senderBytes} bytes (at most {MaxPathBytes}).", nameof(senderPath));
        if (manifestBytes > MaxManifestBytes) throw new ArgumentException($"manifest of {manifestBytes} bytes (at most {MaxManifestBytes}).", nameof(manifest));
        var frame = new byte[HeaderSize + targetBytes + senderBytes + manifestBytes + inlineBody.Length];
        WriteHeader(frame, kind, manifestBytes, targetBytes, senderBytes, round, loss, body);
        var at = HeaderSize;
        at += Encoding.UTF8.GetBytes(targetPath, frame.AsSpan(at));
        at += Encoding.UTF8.GetBytes(senderPath, frame.AsSpan(at));
        at += Encoding.UTF8.GetBytes(manifest, frame.AsSpan(at));
        inlineBody.CopyTo(frame.AsSpan(at));
        return frame;
    }

    private static void WriteHeader(Span<byte> h, FrameKind kind, int manifest, int target, int sender, long round, double loss, int body)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        h[4] = Version;
        h[5] = (byte)kind;
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)manifest);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], target);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], sender);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], round);
        BinaryPrimitives.WriteDoubleLittleEndian(h[24..], loss);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], body);
    }

    /// <summary>Parses and checks a header with only a vector-size bound (any kind, any d).</summary>
    public static VectorFrameHeader ParseHeader(ReadOnlySpan<byte> header, long maximumVectorBytes) =>
        ParseHeader(header, new FrameLimits(maximumVectorBytes));

    /// <summary>Parses and checks a header against <paramref name="limits"/>.</summary>
    /// <exception cref="VectorFrameException">The header is malformed or announces more than the limits allow.</exception>
    public static VectorFrameHeader ParseHeader(ReadOnlySpan<byte> header, FrameLimits limits)
    {
        if (header.Length < HeaderSize) throw new VectorFrameException("truncated", $"header of {header.Length} bytes, expected {HeaderSize}");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic != Magic) throw new VectorFrameException("bad-magic", $"magic 0x{magic:X8}, expected 0x{Magic:X8} (not an AkkaByz vector stream)");
        if (header[4] != Version) throw new VectorFrameException("bad-version", $"frame version {header[4]}, this node speaks {Version}");
        var kind = (FrameKind)header[5];
        if (kind is < FrameKind.Params or > FrameKind.Hello)
            throw new VectorFrameException("bad-kind", $"frame kind {header[5]} (1 Params, 2 Update, 3 HonestCopy, 4 CraftedVector, 5 message, 6 cluster message, 7 hello)");
        var manifest = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        var target = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        var sender = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        var body = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        var round = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        var loss = BinaryPrimitives.ReadDoubleLittleEndian(header[24..]);
        if (body < 0) throw new VectorFrameException("bad-header", $"negative body length {body}");
        if (kind == FrameKind.Hello)
        {
            if (target != 0 || sender != 0 || manifest != 0) throw new VectorFrameException("bad-header", "a hello frame carries no paths and no manifest");
            if (body is 0 or > MaxHelloBytes) throw new VectorFrameException("bad-header", $"hello of {body} bytes (1..{MaxHelloBytes})");
            return new VectorFrameHeader(kind, 0, 0, 0, 0, 0, body);
        }
        if (target is <= 0 or > MaxPathBytes) throw new VectorFrameException("bad-header", $"target path of {target} bytes (1..{MaxPathBytes})");
        if (sender is < 0 or > MaxPathBytes) throw new VectorFrameException("bad-header", $"sender path of {sender} bytes (0..{MaxPathBytes})");
        var header2 = new VectorFrameHeader(kind, manifest, target, sender, round, loss, body);
        if (header2.IsVector)
        {
            if (manifest != 0) throw new VectorFrameException("bad-header", "a vector frame carries no manifest");
            if (4L * body > limits.MaximumVectorBytes)
                throw new VectorFrameException("too-large", $"a vector of {body} floats ({4L * body} bytes) exceeds akkabyz-transport.tcp.maximum-message-size = {limits.MaximumVectorBytes} bytes");
            // The adversary tap's "no vector this round" is an empty CraftedVector: the one vector of another size.
            if (limits.ExpectedFloats is { } d && body != d && !(kind == FrameKind.CraftedVector && body == 0))
                throw new VectorFrameException("wrong-size", $"a vector of {body} floats; this run's vectors have d = {d}");
            if (round < 0) throw new VectorFrameException("bad-header", $"negative round {round}");
        }
        else
        {
            if (manifest is 0 or > MaxManifestBytes) throw new VectorFrameException("bad-header", $"manifest of {manifest} bytes (1..{MaxManifestBytes})");
            if (body > limits.MaximumControlBytes)
                throw new VectorFrameException("too-large", $"a message of {body} bytes exceeds akkabyz-cluster.security.max-control-message-size = {limits.MaximumControlBytes} bytes");
            if (round != 0 || loss != 0) throw new VectorFrameException("bad-header", "a message frame's round and loss fields must be zero");
        }
        return header2;
    }

    /// <summary>Decodes a path, manifest or address (strict UTF-8).</summary>
    /// <exception cref="VectorFrameException">The bytes are not valid UTF-8.</exception>
    public static string DecodePath(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new VectorFrameException("bad-path", $"text is not UTF-8 ({e.Message})");
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
