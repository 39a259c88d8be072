namespace AkkaByz.Runtime.Training;

/// <summary>
/// The minibatches of one worker: its shard is visited in epochs, each a seeded permutation derived from
/// (run seed, worker, epoch), and round t takes positions (t−1)·B … t·B−1 of that endless sequence. Deterministic
/// from (seed, worker, round) alone, so a worker that skipped rounds draws the same batches as one that did not.
/// </summary>
public sealed class MinibatchSchedule
{
    private readonly int[] _shard;
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly int _worker;
    private long _cachedEpoch = -1;
    private int[] _permutation = [];

    public MinibatchSchedule(IReadOnlyList<int> shard, int batchSize, int seed, int worker)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Count == 0) throw new ArgumentException($"Worker {worker} has an empty shard; use fewer workers or more data.", nameof(shard));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _shard = shard.ToArray();
        _batchSize = batchSize;
        _seed = seed;
        _worker = worker;
    }

    public int BatchSize => _batchSize;
    public int ShardSize => _shard.Length;

    /// <summary>Writes the indices (into the training set) of round <paramref name="round"/>'s minibatch.</summary>
    public void Draw(long round, Span<int> batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(round, 1);
        if (batch.Length != _batchSize) throw new ArgumentException($"Batch buffer has length {batch.Length}, the batch size is {_batchSize}.", nameof(batch));
        var start = (round - 1) * _batchSize;
        for (var j = 0; j < _batchSize; j++)
        {
            var position = start + j;
            var epoch = position / _shard.Length;
            batch[j] = Permutation(epoch)[(int)(position % _shard.Length)];
        }
    }

    private int[] Permutation(long epoch)
    {
        if (epoch == _cachedEpoch) return _permutation;
        var p = (int[])_shard.Clone();
        var rng = new Random(Seeds.DeriveInt(_seed, Seeds.Minibatch, _worker, epoch));
        for (var i = p.Length - 1; i > 0; i--)
        {
            var k = rng.Next(i + 1);
            (p[i], p[k]) = (p[k], p[i]);
        }
        _cachedEpoch = epoch;
        _permutation = p;
        return p;
    }
}
