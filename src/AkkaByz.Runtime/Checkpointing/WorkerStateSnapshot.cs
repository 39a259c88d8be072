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
/// Binary format (little-endian; the frame is <see cref="SealedFrame"/>'s): magic <c>ABWS</c>, version byte 1, UTF-8 run identity, worker name, int32 slot,
/// int64 round, the state as written by <see cref="OptimizerState.Save"/>, and last the SHA-256 of every byte before
/// it. A digest mismatch (one flipped bit, a truncation, bytes appended) is refused before anything is used, and
/// <see cref="Check"/> refuses a snapshot of another run, worker, slot or round.
/// </remarks>
public sealed record WorkerStateSnapshot(string RunIdentity, string Worker, int Slot, long Round, OptimizerState State)
{
    private const byte Version = 1;

    private static readonly SealedFrame Frame = new("ABWS", "worker state snapshot", [Version], CorruptHint: " (damaged or altered)");

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

    public byte[] ToBytes() => Frame.Seal(Version, body =>
    {
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(RunIdentity);
            w.Write(Worker);
            w.Write(Slot);
            w.Write(Round);
        }
        State.Save(body);
    });

    /// <exception cref="InvalidDataException">Not a worker state snapshot, another version, corrupt (digest mismatch) or truncated.</exception>
    public static WorkerStateSnapshot Read(byte[] bytes) => Frame.Open(bytes, (_, payload, r) =>
    {
        var run = r.ReadString();
        var worker = r.ReadString();
        var slot = r.ReadInt32();
        var round = r.ReadInt64();
        return new WorkerStateSnapshot(run, worker, slot, round, OptimizerState.Load(payload));
    });

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
