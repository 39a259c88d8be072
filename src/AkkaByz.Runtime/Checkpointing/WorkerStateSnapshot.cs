using System.Security.Cryptography;
using System.Text;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// One worker's optimizer state after a checkpoint round, as stored in a checkpoint database
/// (<see cref="WorkerStateStore"/>): the run it belongs to (<paramref name="RunIdentity"/>, the SHA-256 of the run's
/// config layers, <see cref="IdentityOf"/>), the worker's authenticated name and slot, the round, and the state.
/// </summary>
/// <remarks>
/// Binary format (little-endian): magic <c>ABWS</c>, version byte 1, UTF-8 run identity, worker name, int32 slot,
/// int64 round, the state as written by <see cref="OptimizerState.Save"/>, and last the SHA-256 of every byte before
/// it. A digest mismatch (one flipped bit, a truncation, bytes appended) is refused before anything is used, and
/// <see cref="Check"/> refuses a snapshot of another run, worker, slot or round.
/// </remarks>
public sealed record WorkerStateSnapshot(string RunIdentity, string Worker, int Slot, long Round, OptimizerState State)
{
    private static readonly byte[] Magic = "ABWS"u8.ToArray();
    private const byte Version = 1;
    private const int DigestBytes = 32;

    /// <summary>The run identity of a run started with <paramref name="configLayers"/> (hex SHA-256 of the layers, in order).</summary>
    public static string IdentityOf(IReadOnlyList<string> configLayers)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var layer in configLayers)
        {
            var bytes = Encoding.UTF8.GetBytes(layer);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public byte[] ToBytes()
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(RunIdentity);
            w.Write(Worker);
            w.Write(Slot);
            w.Write(Round);
        }
        State.Save(body);
        var all = body.GetBuffer().AsSpan(0, (int)body.Length);
        return [.. all, .. SHA256.HashData(all)];
    }

    /// <exception cref="InvalidDataException">Not a worker state snapshot, another version, corrupt (digest mismatch) or truncated.</exception>
    public static WorkerStateSnapshot Read(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < Magic.Length + 1 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException("not an AkkaByz worker state snapshot (bad magic; expected 'ABWS').");
        if (bytes[Magic.Length] != Version)
            throw new InvalidDataException($"unsupported worker state snapshot version {bytes[Magic.Length]} (expected {Version}).");
        if (bytes.Length < Magic.Length + 1 + DigestBytes) throw new InvalidDataException("truncated worker state snapshot.");
        var body = bytes.AsSpan(0, bytes.Length - DigestBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - DigestBytes)))
            throw new InvalidDataException($"corrupt worker state snapshot: the SHA-256 of its {body.Length} bytes does not match the one stored with it (damaged or altered).");
        using var payload = new MemoryStream(bytes, 0, body.Length, writable: false);
        using var r = new BinaryReader(payload, Encoding.UTF8, leaveOpen: true);
        try
        {
            payload.Position = Magic.Length + 1;
            var run = r.ReadString();
            var worker = r.ReadString();
            var slot = r.ReadInt32();
            var round = r.ReadInt64();
            var state = OptimizerState.Load(payload);
            if (payload.Position != payload.Length) throw new InvalidDataException($"malformed worker state snapshot: {payload.Length - payload.Position} unread bytes.");
            return new WorkerStateSnapshot(run, worker, slot, round, state);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("truncated worker state snapshot.", e);
        }
    }

    /// <summary>Refuses a snapshot that is not the expected run's, worker's, slot's and round's.</summary>
    /// <exception cref="InvalidDataException">It is another's (the message says which field differs).</exception>
    public void Check(string runIdentity, string worker, int slot, long round)
    {
        if (RunIdentity != runIdentity)
            throw new InvalidDataException($"the worker state snapshot belongs to another run (run identity {Short(RunIdentity)}, this run's is {Short(runIdentity)}).");
        if (Worker != worker) throw new InvalidDataException($"the worker state snapshot is worker '{Worker}''s, not '{worker}''s.");
        if (Slot != slot) throw new InvalidDataException($"the worker state snapshot is of slot {Slot}, not {slot}.");
        if (Round != round) throw new InvalidDataException($"the worker state snapshot is of round {Round}, not {round}.");
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
