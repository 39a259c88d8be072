using System.Buffers.Binary;
using System.Text;

namespace AkkaByz.Runtime.Transport.Tcp;

/// <summary>The fixed part of a <see cref="VectorFrame"/>: what follows it and how to rebuild the message.</summary>
public readonly record struct VectorFrameHeader(VectorKind Kind, int TargetLength, int SenderLength, long Round, double Loss, int Floats);

/// <summary>An incoming frame was refused; <see cref="Reason"/> is the short counter name.</summary>
public sealed class VectorFrameException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The wire format of <see cref="TcpVectorCarrier"/>, all little-endian. Per message: a 36-byte header
/// <code>
///  0 u32 magic "AKZB"   4 u8 version (1)   5 u8 kind (1 Params, 2 Update, 3 HonestCopy, 4 CraftedVector)   6 u16 reserved (0)
///  8 i32 target path bytes   12 i32 sender path bytes   16 i64 round   24 f64 loss   32 i32 float count
/// </code>
/// then the target and sender actor paths (UTF-8, with address and uid) and the floats as raw IEEE-754 bytes, which
/// the receiver reads straight into the new vector. Everything is checked before anything is allocated:
/// <see cref="ParseHeader"/> throws <see cref="VectorFrameException"/> for a bad magic, version, kind, length or a
/// vector larger than the configured maximum, and the connection is then closed (a stream cannot resynchronise).
/// </summary>
public static class VectorFrame
{
    public const int HeaderSize = 36;
    public const uint Magic = 0x425A4B41; // "AKZB" little-endian
    public const byte Version = 1;

    /// <summary>Longest accepted actor path (bytes).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Writes the header and both paths of a frame for <paramref name="payload"/> into a new array.</summary>
    public static byte[] EncodePrefix(VectorPayload payload, string targetPath, string senderPath)
    {
        var targetBytes = Encoding.UTF8.GetByteCount(targetPath);
        var senderBytes = Encoding.UTF8.GetByteCount(senderPath);
        if (targetBytes is 0 or > MaxPathBytes) throw new ArgumentException($"target path of {targetBytes} bytes (1..{MaxPathBytes}).", nameof(targetPath));
        if (senderBytes > MaxPathBytes) throw new ArgumentException($"sender path of {senderBytes} bytes (at most {MaxPathBytes}).", nameof(senderPath));
        var prefix = new byte[HeaderSize + targetBytes + senderBytes];
        var h = prefix.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        h[4] = Version;
        h[5] = (byte)payload.Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], targetBytes);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], senderBytes);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], payload.Round);
        BinaryPrimitives.WriteDoubleLittleEndian(h[24..], payload.Loss);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], payload.Vector.Length);
        Encoding.UTF8.GetBytes(targetPath, h[HeaderSize..]);
        Encoding.UTF8.GetBytes(senderPath, h[(HeaderSize + targetBytes)..]);
        return prefix;
    }

    /// <summary>Parses and checks a header; <paramref name="maximumVectorBytes"/> bounds the floats that follow.</summary>
    /// <exception cref="VectorFrameException">The header is malformed or announces more than the limits allow.</exception>
    public static VectorFrameHeader ParseHeader(ReadOnlySpan<byte> header, long maximumVectorBytes)
    {
        if (header.Length < HeaderSize) throw new VectorFrameException("truncated", $"header of {header.Length} bytes, expected {HeaderSize}");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic != Magic) throw new VectorFrameException("bad-magic", $"magic 0x{magic:X8}, expected 0x{Magic:X8} (not an AkkaByz vector stream)");
        if (header[4] != Version) throw new VectorFrameException("bad-version", $"frame version {header[4]}, this node speaks {Version}");
        var kind = (VectorKind)header[5];
        if (!VectorPayload.IsKnown(kind)) throw new VectorFrameException("bad-kind", $"message kind {header[5]} (1 Params, 2 Update, 3 HonestCopy, 4 CraftedVector)");
        if (BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) != 0) throw new VectorFrameException("bad-header", "reserved bytes are not zero");
        var target = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        var sender = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        if (target is <= 0 or > MaxPathBytes) throw new VectorFrameException("bad-header", $"target path of {target} bytes (1..{MaxPathBytes})");
        if (sender is < 0 or > MaxPathBytes) throw new VectorFrameException("bad-header", $"sender path of {sender} bytes (0..{MaxPathBytes})");
        var floats = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        if (floats < 0) throw new VectorFrameException("bad-header", $"negative float count {floats}");
        if (4L * floats > maximumVectorBytes)
            throw new VectorFrameException("too-large", $"a vector of {floats} floats ({4L * floats} bytes) exceeds akkabyz-transport.tcp.maximum-message-size = {maximumVectorBytes} bytes");
        return new VectorFrameHeader(kind, target, sender,
            BinaryPrimitives.ReadInt64LittleEndian(header[16..]), BinaryPrimitives.ReadDoubleLittleEndian(header[24..]), floats);
    }

    /// <summary>Decodes a path (strict UTF-8).</summary>
    /// <exception cref="VectorFrameException">The bytes are not valid UTF-8.</exception>
    public static string DecodePath(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new VectorFrameException("bad-path", $"actor path is not UTF-8 ({e.Message})");
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
