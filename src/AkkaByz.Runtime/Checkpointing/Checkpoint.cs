using System.Text;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// The aggregator's state after a completed round: everything a standby aggregator needs to continue the run.
/// <paramref name="Round"/> is the last completed round (the next one to publish is
/// Round + 1); <paramref name="X"/> the query point x_{Round+1}; <paramref name="Server"/> the server optimizer's
/// state (for µ²-SGD: steps, w and x); <paramref name="ConfigLayers"/> the HOCON layers the run was started with
/// (one source of truth: a standby restores the run's config, not its own); <paramref name="Completed"/> marks a
/// finished run (a restarted aggregator then does not train again).
/// </summary>
/// <remarks>
/// Binary format (little-endian; the frame is <see cref="SealedFrame"/>'s): magic <c>ABCK</c>, version byte 3, completed byte, int64 round, int64 total rounds,
/// int32 layer count + UTF-8 strings, float32 array (int32 length + raw floats), the optimizer state as written
/// by <see cref="OptimizerState.Save"/>, then the sections — int32 count, each a UTF-8 name, an int32 length and that
/// many bytes — and last the SHA-256 of every byte before it (32 bytes). A file whose digest does not match — one
/// flipped bit anywhere, a truncation, bytes appended — is refused before anything in it is used. Version 1 files
/// (no digest) are refused: they cannot be verified; version 2 files (no sections) are read.
/// Sections carry what is not the model's state, so more can be added without a new version: <c>run</c>
/// (<see cref="CheckpointRun"/>), <c>counters</c> (<see cref="RunCounters"/>) and <c>slot-identities</c>
/// (<see cref="SlotIdentities"/>: int32 count, then int32 slot + UTF-8 identity each) are read here; any other section
/// is kept as bytes in <see cref="Sections"/> and written back as it is.
/// A reader skips the sections it does not know.
/// The aggregation rule's state (<paramref name="AggregatorState"/>, e.g. centered clipping's previous output, as
/// written by <c>AggregatorState.Save</c>) is the section <c>aggregator-state</c>; stateless rules write none.
/// </remarks>
public sealed record Checkpoint(long Round, long TotalRounds, float[] X, OptimizerState Server, IReadOnlyList<string> ConfigLayers, bool Completed,
    byte[]? AggregatorState = null)
{
    private const byte Version = 3;

    private static readonly SealedFrame Frame = new("ABCK", "checkpoint", [2, Version],
        VersionHint: ": version 1 had no checksum; delete the file to start the run over",
        CorruptHint: " (the file was damaged or altered); refusing to resume from it");

    /// <summary>Section names of the sections this type reads itself.</summary>
    public const string RunSection = "run", CountersSection = "counters", AggregatorStateSection = "aggregator-state", SlotIdentitiesSection = "slot-identities";

    /// <summary>The longest identity <see cref="SlotIdentities"/> reads (a certificate identity is <c>worker:</c> and at most 63 characters).</summary>
    public const int MaxIdentityLength = 128;

    /// <summary>The run this checkpoint belongs to (null in version 2 files).</summary>
    public CheckpointRun? Run { get; init; }

    /// <summary>The run's counters through <see cref="Round"/> (null in version 2 files).</summary>
    public RunCounters? Counters { get; init; }

    /// <summary>
    /// The stable identity of the worker that held (or last held) each slot, in slot order: its certificate identity
    /// in mtls mode, else its configured name (null in files written before this section existed). A take-over
    /// reserves those slots for them again, so a worker node restarted as a new process finds the slot its stored
    /// optimizer states belong to.
    /// </summary>
    public IReadOnlyList<(int Slot, string Identity)>? SlotIdentities { get; init; }

    /// <summary>Other sections by name (not the ones this type reads itself), kept as bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> Sections { get; init; } = new Dictionary<string, byte[]>();

    public void Write(Stream stream) => Frame.Write(stream, Version, body =>
    {
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Completed);
            w.Write(Round);
            w.Write(TotalRounds);
            w.Write(ConfigLayers.Count);
            foreach (var layer in ConfigLayers) w.Write(layer);
            w.Write(X.Length);
            foreach (var v in X) w.Write(v);
        }
        Server.Save(body);
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            var sections = new List<(string Name, byte[] Bytes)>();
            if (Run is not null) sections.Add((RunSection, Encode(Run.Write)));
            if (Counters is not null) sections.Add((CountersSection, Encode(Counters.Write)));
            if (SlotIdentities is { } identities) sections.Add((SlotIdentitiesSection, Encode(w => WriteIdentities(w, identities))));
            foreach (var (name, bytes) in Sections.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                if (name is not RunSection and not CountersSection and not AggregatorStateSection and not SlotIdentitiesSection) sections.Add((name, bytes));
            if (AggregatorState is { } state) sections.Add((AggregatorStateSection, state));
            w.Write(sections.Count);
            foreach (var (name, bytes) in sections)
            {
                w.Write(name);
                w.Write(bytes.Length);
                w.Write(bytes);
            }
        }
    });

    private static byte[] Encode(Action<BinaryWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) write(w);
        return ms.ToArray();
    }

    private static void WriteIdentities(BinaryWriter w, IReadOnlyList<(int Slot, string Identity)> identities)
    {
        w.Write(identities.Count);
        foreach (var (slot, identity) in identities)
        {
            w.Write(slot);
            w.Write(identity);
        }
    }

    private static IReadOnlyList<(int Slot, string Identity)> ReadIdentities(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n is < 0 or > 1 << 20) throw new InvalidDataException($"malformed checkpoint: {n} slot identities.");
        var identities = new (int, string)[n];
        var seen = new HashSet<int>();
        for (var i = 0; i < n; i++)
        {
            var slot = r.ReadInt32();
            var identity = r.ReadString();
            if (slot < 0 || !seen.Add(slot) || identity.Length is 0 or > MaxIdentityLength)
                throw new InvalidDataException($"malformed checkpoint: slot identity {i} (slot {slot}, {identity.Length} characters).");
            identities[i] = (slot, identity);
        }
        return identities;
    }

    private static T Decode<T>(string name, byte[] bytes, Func<BinaryReader, T> read)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        using var r = new BinaryReader(ms, Encoding.UTF8);
        try
        {
            var value = read(r);
            if (ms.Position != ms.Length) throw new InvalidDataException($"malformed checkpoint: section '{name}' has {ms.Length - ms.Position} unread bytes.");
            return value;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"malformed checkpoint: section '{name}' is truncated.", e);
        }
    }

    /// <exception cref="InvalidDataException">Not a checkpoint, another version, corrupt (digest mismatch), or truncated.</exception>
    public static Checkpoint Read(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Frame.Open(copy.GetBuffer(), (int)copy.Length, (version, payload, r) =>
        {
            var completed = r.ReadBoolean();
            var round = r.ReadInt64();
            var total = r.ReadInt64();
            var layerCount = r.ReadInt32();
            if (layerCount is < 0 or > 1024) throw new InvalidDataException($"malformed checkpoint: {layerCount} config layers.");
            var layers = new string[layerCount];
            for (var i = 0; i < layerCount; i++) layers[i] = r.ReadString();
            var n = r.ReadInt32();
            if (n is < 0 or > 1 << 28) throw new InvalidDataException($"malformed checkpoint: x has length {n}.");
            var x = new float[n];
            for (var i = 0; i < n; i++) x[i] = r.ReadSingle();
            var server = OptimizerState.Load(payload);
            var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            if (version >= 3)
            {
                var count = r.ReadInt32();
                if (count is < 0 or > 1024) throw new InvalidDataException($"malformed checkpoint: {count} sections.");
                for (var i = 0; i < count; i++)
                {
                    var name = r.ReadString();
                    var length = r.ReadInt32();
                    if (length < 0 || length > payload.Length - payload.Position) throw new InvalidDataException($"malformed checkpoint: section '{name}' of {length} bytes.");
                    if (!sections.TryAdd(name, r.ReadBytes(length))) throw new InvalidDataException($"malformed checkpoint: section '{name}' twice.");
                }
            }
            if (payload.Position != payload.Length) throw new InvalidDataException($"malformed checkpoint: {payload.Length - payload.Position} unread bytes.");
            var run = sections.Remove(RunSection, out var runBytes) ? Decode(RunSection, runBytes, CheckpointRun.Read) : null;
            var counters = sections.Remove(CountersSection, out var counterBytes) ? Decode(CountersSection, counterBytes, RunCounters.Read) : null;
            var ruleState = sections.Remove(AggregatorStateSection, out var stateBytes) ? stateBytes : null;
            var identities = sections.Remove(SlotIdentitiesSection, out var identityBytes) ? Decode(SlotIdentitiesSection, identityBytes, ReadIdentities) : null;
            return new Checkpoint(round, total, x, server, layers, completed, ruleState) { Run = run, Counters = counters, SlotIdentities = identities, Sections = sections };
        });
    }
}
