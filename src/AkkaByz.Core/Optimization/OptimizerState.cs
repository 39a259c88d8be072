using System.Runtime.InteropServices;
using System.Text;

namespace AkkaByz.Core.Optimization;

/// <summary>
/// The complete state of one optimizer half, as an immutable value: two states are equal when their kinds, counters
/// and every array element (bitwise, so NaN equals NaN) agree. <see cref="Save"/> writes a compact little-endian
/// binary form that <see cref="Load"/> reads back exactly, for checkpoints.
/// </summary>
/// <remarks>
/// Format: the ASCII magic <c>ABOS</c>, a format version byte (1), a type tag byte, then the fields of the concrete
/// record (int64 counters, float32 arrays as an int32 length followed by raw little-endian floats).
/// </remarks>
public abstract record OptimizerState
{
    private static readonly byte[] Magic = "ABOS"u8.ToArray();
    private const byte FormatVersion = 1;

    private protected OptimizerState() { }

    /// <summary>Optimizer kind this state belongs to.</summary>
    public abstract OptimizerKind Kind { get; }

    private protected abstract byte Tag { get; }

    private protected abstract void WriteBody(BinaryWriter writer);

    /// <summary>Writes this state to <paramref name="stream"/> (left open).</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(Tag);
        WriteBody(writer);
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not an optimizer state, unknown version or tag, or truncated.</exception>
    public static OptimizerState Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = reader.ReadBytes(4);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException("Not an AkkaByz optimizer state (bad magic; expected 'ABOS').");
            var version = reader.ReadByte();
            if (version != FormatVersion)
                throw new InvalidDataException($"Unsupported optimizer state format version {version} (expected {FormatVersion}).");
            var tag = reader.ReadByte();
            return tag switch
            {
                SgdWorkerState.TagValue => SgdWorkerState.ReadBody(reader),
                MomentumWorkerState.TagValue => MomentumWorkerState.ReadBody(reader),
                Mu2SgdWorkerState.TagValue => Mu2SgdWorkerState.ReadBody(reader),
                SgdServerState.TagValue => SgdServerState.ReadBody(reader),
                Mu2SgdServerState.TagValue => Mu2SgdServerState.ReadBody(reader),
                _ => throw new InvalidDataException($"Unknown optimizer state tag {tag}."),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Optimizer state is truncated.", e);
        }
    }

    /// <summary>Bytes of <see cref="Save"/>, for convenience.</summary>
    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        Save(ms);
        return ms.ToArray();
    }

    /// <summary>Inverse of <see cref="ToBytes"/>.</summary>
    public static OptimizerState FromBytes(byte[] bytes)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        return Load(ms);
    }

    private protected static void WriteArray(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        if (BitConverter.IsLittleEndian) writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        else foreach (var v in values) writer.Write(v);
    }

    private protected static float[] ReadArray(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        if (n < 0) throw new InvalidDataException($"Optimizer state has a negative array length {n}.");
        var values = new float[n];
        if (BitConverter.IsLittleEndian)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            var read = reader.Read(bytes);
            while (read < bytes.Length)
            {
                var more = reader.Read(bytes[read..]);
                if (more == 0) throw new EndOfStreamException();
                read += more;
            }
        }
        else for (var i = 0; i < n; i++) values[i] = reader.ReadSingle();
        return values;
    }

    /// <summary>Bitwise element equality (NaN payloads included), null-safe.</summary>
    private protected static bool SameArray(float[]? a, float[]? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null &&
            MemoryMarshal.AsBytes(a.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.AsSpan())));

    private protected static int ArrayHash(float[]? a)
    {
        if (a is null) return 0;
        var h = new HashCode();
        h.Add(a.Length);
        h.AddBytes(MemoryMarshal.AsBytes(a.AsSpan()));
        return h.ToHashCode();
    }
}

/// <summary>Plain-SGD worker state: only counters.</summary>
/// <param name="Steps">Updates computed so far.</param>
/// <param name="LastRound">Round of the last update (0 before the first).</param>
public sealed record SgdWorkerState(long Steps, long LastRound) : OptimizerState
{
    internal const byte TagValue = 1;
    public override OptimizerKind Kind => OptimizerKind.Sgd;
    private protected override byte Tag => TagValue;

    private protected override void WriteBody(BinaryWriter writer)
    {
        writer.Write(Steps);
        writer.Write(LastRound);
    }

    internal static SgdWorkerState ReadBody(BinaryReader reader) => new(reader.ReadInt64(), reader.ReadInt64());
}

/// <summary>Worker-momentum state.</summary>
/// <param name="Steps">Updates computed so far (t − 1 before round t).</param>
/// <param name="LastRound">Round of the last update (0 before the first).</param>
/// <param name="Momentum">m_{t−1}; empty before the first update.</param>
public sealed record MomentumWorkerState(long Steps, long LastRound, float[] Momentum) : OptimizerState
{
    internal const byte TagValue = 2;
    public override OptimizerKind Kind => OptimizerKind.Momentum;
    private protected override byte Tag => TagValue;

    public bool Equals(MomentumWorkerState? other) =>
        other is not null && Steps == other.Steps && LastRound == other.LastRound && SameArray(Momentum, other.Momentum);

    public override int GetHashCode() => HashCode.Combine(Steps, LastRound, ArrayHash(Momentum));

    private protected override void WriteBody(BinaryWriter writer)
    {
        writer.Write(Steps);
        writer.Write(LastRound);
        WriteArray(writer, Momentum);
    }

    internal static MomentumWorkerState ReadBody(BinaryReader reader) => new(reader.ReadInt64(), reader.ReadInt64(), ReadArray(reader));
}

/// <summary>µ²-SGD worker state.</summary>
/// <param name="Steps">Updates computed so far (t − 1 before round t).</param>
/// <param name="LastRound">Round of the last update (0 before the first).</param>
/// <param name="PreviousQuery">x_{t−1}, the query point of the worker's last update; empty before the first.</param>
/// <param name="PreviousEstimate">d_{t−1}; empty before the first update.</param>
public sealed record Mu2SgdWorkerState(long Steps, long LastRound, float[] PreviousQuery, float[] PreviousEstimate) : OptimizerState
{
    internal const byte TagValue = 3;
    public override OptimizerKind Kind => OptimizerKind.Mu2Sgd;
    private protected override byte Tag => TagValue;

    public bool Equals(Mu2SgdWorkerState? other) =>
        other is not null && Steps == other.Steps && LastRound == other.LastRound &&
        SameArray(PreviousQuery, other.PreviousQuery) && SameArray(PreviousEstimate, other.PreviousEstimate);

    public override int GetHashCode() => HashCode.Combine(Steps, LastRound, ArrayHash(PreviousQuery), ArrayHash(PreviousEstimate));

    private protected override void WriteBody(BinaryWriter writer)
    {
        writer.Write(Steps);
        writer.Write(LastRound);
        WriteArray(writer, PreviousQuery);
        WriteArray(writer, PreviousEstimate);
    }

    internal static Mu2SgdWorkerState ReadBody(BinaryReader reader) =>
        new(reader.ReadInt64(), reader.ReadInt64(), ReadArray(reader), ReadArray(reader));
}

/// <summary>Plain server state (used by both SGD and worker momentum): the iterate x, published as is.</summary>
/// <param name="Steps">Steps taken so far.</param>
/// <param name="Iterate">x.</param>
public sealed record SgdServerState(long Steps, float[] Iterate) : OptimizerState
{
    internal const byte TagValue = 4;
    public override OptimizerKind Kind => OptimizerKind.Sgd;
    private protected override byte Tag => TagValue;

    public bool Equals(SgdServerState? other) => other is not null && Steps == other.Steps && SameArray(Iterate, other.Iterate);

    public override int GetHashCode() => HashCode.Combine(Steps, ArrayHash(Iterate));

    private protected override void WriteBody(BinaryWriter writer)
    {
        writer.Write(Steps);
        WriteArray(writer, Iterate);
    }

    internal static SgdServerState ReadBody(BinaryReader reader) => new(reader.ReadInt64(), ReadArray(reader));
}

/// <summary>µ²-SGD server state.</summary>
/// <param name="Steps">Steps taken so far (k).</param>
/// <param name="Iterate">w_{k+1}, the SGD iterate.</param>
/// <param name="Query">x_{k+1}, the averaged query point published to workers.</param>
public sealed record Mu2SgdServerState(long Steps, float[] Iterate, float[] Query) : OptimizerState
{
    internal const byte TagValue = 5;
    public override OptimizerKind Kind => OptimizerKind.Mu2Sgd;
    private protected override byte Tag => TagValue;

    public bool Equals(Mu2SgdServerState? other) =>
        other is not null && Steps == other.Steps && SameArray(Iterate, other.Iterate) && SameArray(Query, other.Query);

    public override int GetHashCode() => HashCode.Combine(Steps, ArrayHash(Iterate), ArrayHash(Query));

    private protected override void WriteBody(BinaryWriter writer)
    {
        writer.Write(Steps);
        WriteArray(writer, Iterate);
        WriteArray(writer, Query);
    }

    internal static Mu2SgdServerState ReadBody(BinaryReader reader) => new(reader.ReadInt64(), ReadArray(reader), ReadArray(reader));
}
