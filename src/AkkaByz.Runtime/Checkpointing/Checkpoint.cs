using System.Security.Cryptography;
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
/// Binary format (little-endian): magic <c>ABCK</c>, version byte 2, completed byte, int64 round, int64 total rounds,
/// int32 layer count + UTF-8 strings, float32 array (int32 length + raw floats), the optimizer state as written
/// by <see cref="OptimizerState.Save"/>, and last the SHA-256 of every byte before it (32 bytes). A file whose digest
/// does not match — one flipped bit anywhere, a truncation, bytes appended — is refused before anything in it is
/// used. Version 1 files (no digest) are refused too: they cannot be verified.
/// Optional section, between the optimizer state and the digest: the aggregation rule's state
/// (<paramref name="AggregatorState"/>, e.g. centered clipping's previous output, as written by
/// <c>AggregatorState.Save</c>): the byte 'S', a section version byte (1), int32 length, the bytes. Files without it
/// (stateless rules, older files) read as before, with no rule state.
/// </remarks>
public sealed record Checkpoint(long Round, long TotalRounds, float[] X, OptimizerState Server, IReadOnlyList<string> ConfigLayers, bool Completed,
    byte[]? AggregatorState = null)
{
    private const byte StateSection = (byte)'S';
    private const byte StateSectionVersion = 1;

    private static readonly byte[] Magic = "ABCK"u8.ToArray();
    private const byte Version = 2;
    private const int DigestBytes = 32;

    public void Write(Stream stream)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(Completed);
            w.Write(Round);
            w.Write(TotalRounds);
            w.Write(ConfigLayers.Count);
            foreach (var layer in ConfigLayers) w.Write(layer);
            w.Write(X.Length);
            foreach (var v in X) w.Write(v);
        }
        Server.Save(body);
        if (AggregatorState is { } state)
        {
            using var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true);
            w.Write(StateSection);
            w.Write(StateSectionVersion);
            w.Write(state.Length);
            w.Write(state);
        }
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        stream.Write(bytes);
        stream.Write(SHA256.HashData(bytes));
    }

    /// <exception cref="InvalidDataException">Not a checkpoint, another version, corrupt (digest mismatch), or truncated.</exception>
    public static Checkpoint Read(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var all = copy.GetBuffer().AsSpan(0, (int)copy.Length);
        if (all.Length < Magic.Length + 1 || !all[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException("not an AkkaByz checkpoint (bad magic; expected 'ABCK').");
        var version = all[Magic.Length];
        if (version != Version)
            throw new InvalidDataException($"unsupported checkpoint version {version} (expected {Version}; version 1 had no checksum); delete the file to start the run over.");
        if (all.Length < Magic.Length + 1 + DigestBytes) throw new InvalidDataException("truncated checkpoint.");
        var body = all[..^DigestBytes];
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(all[^DigestBytes..]))
            throw new InvalidDataException($"corrupt checkpoint: the SHA-256 of its {body.Length} bytes does not match the one stored with it (the file was damaged or altered); refusing to resume from it.");

        using var payload = new MemoryStream(copy.GetBuffer(), 0, body.Length, writable: false);
        using var r = new BinaryReader(payload, Encoding.UTF8, leaveOpen: true);
        try
        {
            payload.Position = Magic.Length + 1;
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
            byte[]? ruleState = null;
            if (payload.Position < payload.Length && copy.GetBuffer()[payload.Position] == StateSection)
            {
                r.ReadByte();
                var sectionVersion = r.ReadByte();
                if (sectionVersion != StateSectionVersion)
                    throw new InvalidDataException($"unsupported aggregator-state section version {sectionVersion} (expected {StateSectionVersion}).");
                var length = r.ReadInt32();
                if (length < 0 || length > payload.Length - payload.Position)
                    throw new InvalidDataException($"malformed checkpoint: aggregator state of {length} bytes.");
                ruleState = r.ReadBytes(length);
            }
            if (payload.Position != payload.Length) throw new InvalidDataException($"malformed checkpoint: {payload.Length - payload.Position} unread bytes.");
            return new Checkpoint(round, total, x, server, layers, completed, ruleState);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("truncated checkpoint.", e);
        }
    }
}
