using System.Security.Cryptography;
using System.Text;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// The frame of the stored formats (<see cref="Checkpoint"/>, <see cref="WorkerStateSnapshot"/>): a 4-byte magic, a
/// version byte, the body, and last the SHA-256 of every byte before it (32 bytes). <see cref="Open{T}"/> refuses a
/// wrong magic, a version not accepted, a truncation and a digest mismatch (one flipped bit, bytes cut or appended)
/// before anything in the body is read, then reads the body and refuses unread bytes; every message names the kind
/// (<see cref="What"/>), e.g. "corrupt checkpoint: …".
/// </summary>
/// <param name="Magic">The 4 ASCII bytes the frame starts with.</param>
/// <param name="What">The kind for messages ("checkpoint", "worker state snapshot").</param>
/// <param name="Versions">The versions a reader accepts (the last is the one written).</param>
/// <param name="VersionHint">Appended to the unsupported-version message (what to do), or "".</param>
/// <param name="CorruptHint">Appended to the digest-mismatch message, or "".</param>
internal sealed record SealedFrame(string Magic, string What, byte[] Versions, string VersionHint = "", string CorruptHint = "")
{
    private const int DigestBytes = 32;

    private byte[] MagicBytes { get; } = Encoding.ASCII.GetBytes(Magic);

    /// <summary>Writes magic, <paramref name="version"/>, the body <paramref name="writeBody"/> writes, and the SHA-256 of all of it.</summary>
    public void Write(Stream stream, byte version, Action<Stream> writeBody)
    {
        using var body = new MemoryStream();
        body.Write(MagicBytes);
        body.WriteByte(version);
        writeBody(body);
        var all = body.GetBuffer().AsSpan(0, (int)body.Length);
        stream.Write(all);
        stream.Write(SHA256.HashData(all));
    }

    /// <summary><see cref="Write"/> into a new array.</summary>
    public byte[] Seal(byte version, Action<Stream> writeBody)
    {
        using var ms = new MemoryStream();
        Write(ms, version, writeBody);
        return ms.ToArray();
    }

    /// <summary>
    /// Checks the frame of <paramref name="bytes"/> and reads its body with <paramref name="read"/> (given the version,
    /// the body as a stream positioned after the version byte, and a UTF-8 reader over it).
    /// </summary>
    /// <exception cref="InvalidDataException">Not this kind (bad magic), a version not accepted, truncated, corrupt, or bytes left unread.</exception>
    public T Open<T>(byte[] bytes, Func<byte, MemoryStream, BinaryReader, T> read) => Open(bytes, bytes.Length, read);

    /// <summary><see cref="Open{T}(byte[], Func{byte, MemoryStream, BinaryReader, T})"/> of the first <paramref name="length"/> bytes.</summary>
    public T Open<T>(byte[] bytes, int length, Func<byte, MemoryStream, BinaryReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var all = bytes.AsSpan(0, length);
        if (all.Length < MagicBytes.Length + 1 || !all[..MagicBytes.Length].SequenceEqual(MagicBytes))
            throw new InvalidDataException($"not an AkkaByz {What} (bad magic; expected '{Magic}').");
        var version = all[MagicBytes.Length];
        if (Array.IndexOf(Versions, version) < 0)
            throw new InvalidDataException($"unsupported {What} version {version} (expected {Expected()}){VersionHint}.");
        if (all.Length < MagicBytes.Length + 1 + DigestBytes) throw new InvalidDataException($"truncated {What}.");
        var body = all[..^DigestBytes];
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(all[^DigestBytes..]))
            throw new InvalidDataException($"corrupt {What}: the SHA-256 of its {body.Length} bytes does not match the one stored with it{CorruptHint}.");

        using var payload = new MemoryStream(bytes, 0, body.Length, writable: false);
        using var r = new BinaryReader(payload, Encoding.UTF8, leaveOpen: true);
        try
        {
            payload.Position = MagicBytes.Length + 1;
            var value = read(version, payload, r);
            if (payload.Position != payload.Length) throw new InvalidDataException($"malformed {What}: {payload.Length - payload.Position} unread bytes.");
            return value;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"truncated {What}.", e);
        }
    }

    private string Expected() => Versions.Length == 1 ? $"{Versions[0]}" : $"{string.Join(", ", Versions[..^1])} or {Versions[^1]}";
}
