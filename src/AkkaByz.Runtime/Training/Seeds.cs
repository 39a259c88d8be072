namespace AkkaByz.Runtime.Training;

/// <summary>
/// Deterministic seed derivation: every random choice of a run is a pure function of (run seed, purpose, worker,
/// round), so runs repeat bit for bit regardless of actor scheduling. SplitMix64 finaliser over the mixed inputs.
/// </summary>
public static class Seeds
{
    /// <summary>Purposes, so that e.g. the minibatch and crash streams of a worker never coincide.</summary>
    public const ulong Minibatch = 0x6d62, Crash = 0x6372, Attack = 0x6174, Aggregator = 0x6167, Partition = 0x7061, Init = 0x696e, Data = 0x6461;

    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong Derive(int seed, ulong purpose, long a = 0, long b = 0) =>
        Mix(Mix(Mix(Mix((ulong)(uint)seed) ^ purpose) ^ (ulong)a) ^ (ulong)b);

    /// <summary>A non-negative 31-bit seed for APIs that take an <see cref="int"/>.</summary>
    public static int DeriveInt(int seed, ulong purpose, long a = 0, long b = 0) => (int)(Derive(seed, purpose, a, b) >> 33);

    /// <summary>A uniform double in [0, 1).</summary>
    public static double Uniform(int seed, ulong purpose, long a = 0, long b = 0) => (Derive(seed, purpose, a, b) >> 11) * (1.0 / (1UL << 53));
}
