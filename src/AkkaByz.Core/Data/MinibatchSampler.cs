namespace AkkaByz.Core.Data;

/// <summary>How a worker draws minibatches from its shard.</summary>
public enum SamplingMode
{
    /// <summary>Each index drawn uniformly with replacement (default).</summary>
    WithReplacement,

    /// <summary>Epoch shuffles: the shard is visited in a fresh seeded permutation each epoch, batches are consecutive slices.</summary>
    EpochShuffle,
}

/// <summary>
/// A worker's minibatch sampler over its shard. The batch of a round is a pure function of
/// (seed, worker, round) — and, for <see cref="SamplingMode.EpochShuffle"/>, of the batch size — so a run is
/// reproducible regardless of thread or message timing, and a restarted worker draws the same batches.
/// No allocation per batch (epoch mode allocates one permutation per epoch).
/// </summary>
public sealed class MinibatchSampler
{
    private readonly int[] _shard;
    private readonly ulong _key;
    private readonly SamplingMode _mode;
    private int[]? _permutation;
    private long _permutationEpoch = -1;

    public MinibatchSampler(int[] shard, int seed, int worker, SamplingMode mode = SamplingMode.WithReplacement)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Length == 0) throw new ArgumentException($"Worker {worker}'s shard is empty: nothing to sample.", nameof(shard));
        _shard = shard;
        _mode = mode;
        Worker = worker;
        _key = Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)(uint)worker + 0x632BE59BD9B4E019UL));
    }

    public int Worker { get; }
    public int ShardSize => _shard.Length;

    /// <summary>Fills <paramref name="dest"/> (its length is the batch size) with sample indices for <paramref name="round"/> (≥ 1).</summary>
    public void Batch(long round, Span<int> dest)
    {
        if (round < 1) throw new ArgumentOutOfRangeException(nameof(round), round, "Rounds are numbered from 1.");
        if (dest.Length == 0) throw new ArgumentException("Batch size must be at least 1.", nameof(dest));
        if (_mode == SamplingMode.WithReplacement)
        {
            var state = Mix(_key ^ Mix((ulong)round));
            var n = (ulong)_shard.Length;
            for (var i = 0; i < dest.Length; i++)
            {
                state += 0x9E3779B97F4A7C15UL;
                var r = Mix(state);
                dest[i] = _shard[(int)((r >> 32) * n >> 32)];
            }
            return;
        }
        var position = (round - 1) * dest.Length;
        for (var i = 0; i < dest.Length; i++, position++)
        {
            var epoch = position / _shard.Length;
            dest[i] = _shard[Permutation(epoch)[position % _shard.Length]];
        }
    }

    private int[] Permutation(long epoch)
    {
        if (epoch == _permutationEpoch && _permutation is not null) return _permutation;
        var p = _permutation ?? new int[_shard.Length];
        for (var i = 0; i < p.Length; i++) p[i] = i;
        var state = Mix(_key ^ Mix((ulong)epoch ^ 0xD1B54A32D192ED03UL));
        for (var i = p.Length - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            var j = (int)((Mix(state) >> 32) * (ulong)(i + 1) >> 32);
            (p[i], p[j]) = (p[j], p[i]);
        }
        _permutation = p;
        _permutationEpoch = epoch;
        return p;
    }

    /// <summary>SplitMix64 finaliser.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
