using System.Text;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// The aggregator's state after a completed round: everything a standby aggregator needs to continue the run
/// (DESIGN §2, issue 5). <paramref name="Round"/> is the last completed round (the next one to publish is
/// Round + 1); <paramref name="X"/> the query point x_{Round+1}; <paramref name="Server"/> the server optimizer's
/// state (for µ²-SGD: steps, w and x); <paramref name="ConfigLayers"/> the HOCON layers the run was started with
/// (one source of truth: a standby restores the run's config, not its own); <paramref name="Completed"/> marks a
/// finished run (a restarted aggregator then does not train again).
/// </summary>
/// <remarks>
/// Binary format (little-endian): magic <c>ABCK</c>, version byte 1, completed byte, int64 round, int64 total rounds,
/// int32 layer count + UTF-8 strings, float32 array (int32 length + raw floats), then the optimizer state as written
/// by <see cref="OptimizerState.Save"/>.
/// </remarks>
public sealed record Checkpoint(long Round, long TotalRounds, float[] X, OptimizerState Server, IReadOnlyList<string> ConfigLayers, bool Completed)
{
    private static readonly byte[] Magic = "ABCK"u8.ToArray();
    private const byte Version = 1;

    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write(Completed);
        w.Write(Round);
        w.Write(TotalRounds);
        w.Write(ConfigLayers.Count);
        foreach (var layer in ConfigLayers) w.Write(layer);
        w.Write(X.Length);
        foreach (var v in X) w.Write(v);
        w.Flush();
        Server.Save(stream);
    }

    /// <exception cref="InvalidDataException">Not a checkpoint, another version, or truncated.</exception>
    public static Checkpoint Read(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not an AkkaByz checkpoint (bad magic; expected 'ABCK').");
            var version = r.ReadByte();
            if (version != Version) throw new InvalidDataException($"unsupported checkpoint version {version} (expected {Version}).");
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
            var server = OptimizerState.Load(stream);
            return new Checkpoint(round, total, x, server, layers, completed);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("truncated checkpoint.", e);
        }
    }
}
