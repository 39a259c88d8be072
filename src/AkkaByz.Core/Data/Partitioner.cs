using MathNet.Numerics.Distributions;

namespace AkkaByz.Core.Data;

/// <summary>
/// Splits a data set's sample indices into m shards, one per worker. Every sample lands in exactly one shard.
/// Spec strings: <c>iid</c>, <c>dirichlet(ALPHA)</c> or <c>dirichlet(alpha=ALPHA)</c>.
/// </summary>
public static class Partitioner
{
    /// <summary>Partitions by spec name; see the class remarks.</summary>
    /// <exception cref="ArgumentException">Unknown spec or bad α.</exception>
    public static int[][] Create(string spec, DataSet data, int shards, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        var s = spec.Trim().ToLowerInvariant().Replace(" ", "");
        if (s is "iid" or "") return Iid(data.Count, shards, seed);
        if (s.StartsWith("dirichlet(") && s.EndsWith(')'))
        {
            var arg = s["dirichlet(".Length..^1];
            if (arg.StartsWith("alpha=")) arg = arg["alpha=".Length..];
            if (!double.TryParse(arg, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var alpha))
                throw new ArgumentException($"Partition '{spec}': cannot read α from '{arg}'.", nameof(spec));
            return Dirichlet(data.Labels, data.ClassCount, shards, alpha, seed);
        }
        throw new ArgumentException($"Unknown partition '{spec}'. Valid partitions: iid, dirichlet(ALPHA) (e.g. dirichlet(0.5)).", nameof(spec));
    }

    /// <summary>
    /// IID split: a seeded Fisher–Yates shuffle of 0..count−1 cut into <paramref name="shards"/> contiguous pieces
    /// whose sizes differ by at most one (the first count mod m shards get the extra sample). Shards are sorted.
    /// </summary>
    public static int[][] Iid(int count, int shards, int seed)
    {
        CheckShards(count, shards);
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var result = new int[shards][];
        int baseSize = count / shards, extra = count % shards, at = 0;
        for (var s = 0; s < shards; s++)
        {
            var size = baseSize + (s < extra ? 1 : 0);
            result[s] = order.AsSpan(at, size).ToArray();
            Array.Sort(result[s]);
            at += size;
        }
        return result;
    }

    /// <summary>
    /// Dirichlet(α) label skew (Hsu, Qi &amp; Brown 2019): for each class c, draw proportions q_c ~ Dir(α·1_m)
    /// (MathNet.Numerics, seeded) and deal the class's seeded-shuffled samples to the shards in those proportions
    /// (cut points round(n_c · Σ_{j≤s} q_c,j)). Small α concentrates each class on few workers; large α approaches
    /// the IID split. A shard left empty receives one sample from the currently largest shard, so every worker can
    /// sample (needs count ≥ m). Shards are sorted.
    /// </summary>
    public static int[][] Dirichlet(IReadOnlyList<int> labels, int classCount, int shards, double alpha, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        CheckShards(labels.Count, shards);
        if (!(alpha > 0) || !double.IsFinite(alpha))
            throw new ArgumentException($"Dirichlet α must be a positive finite number, got {alpha}.", nameof(alpha));
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Need at least one class.");
        var rng = new Random(seed);
        var byClass = new List<int>[classCount];
        for (var c = 0; c < classCount; c++) byClass[c] = [];
        for (var i = 0; i < labels.Count; i++)
        {
            var y = labels[i];
            if ((uint)y >= (uint)classCount)
                throw new ArgumentException($"Label {y} of sample {i} is outside 0..{classCount - 1}.", nameof(labels));
            byClass[y].Add(i);
        }
        var lists = new List<int>[shards];
        for (var s = 0; s < shards; s++) lists[s] = [];
        var concentration = Enumerable.Repeat(alpha, shards).ToArray();
        for (var c = 0; c < classCount; c++)
        {
            var members = byClass[c].ToArray();
            rng.Shuffle(members);
            var q = MathNet.Numerics.Distributions.Dirichlet.Sample(rng, concentration);
            double cumulative = 0;
            var start = 0;
            for (var s = 0; s < shards; s++)
            {
                cumulative += q[s];
                var end = s == shards - 1 ? members.Length : (int)Math.Round(members.Length * Math.Min(1.0, cumulative));
                end = Math.Clamp(end, start, members.Length);
                for (var i = start; i < end; i++) lists[s].Add(members[i]);
                start = end;
            }
        }
        // Repair: no worker may be left without data.
        for (var s = 0; s < shards; s++)
        {
            if (lists[s].Count > 0) continue;
            var largest = 0;
            for (var j = 1; j < shards; j++) if (lists[j].Count > lists[largest].Count) largest = j;
            var donor = lists[largest];
            lists[s].Add(donor[^1]);
            donor.RemoveAt(donor.Count - 1);
        }
        return lists.Select(l => { var a = l.ToArray(); Array.Sort(a); return a; }).ToArray();
    }

    /// <summary>Per-shard label counts: result[s][c] = samples of class c in shard s.</summary>
    public static int[][] LabelCounts(int[][] shards, IReadOnlyList<int> labels, int classCount)
    {
        var counts = new int[shards.Length][];
        for (var s = 0; s < shards.Length; s++)
        {
            counts[s] = new int[classCount];
            foreach (var i in shards[s]) counts[s][labels[i]]++;
        }
        return counts;
    }

    private static void CheckShards(int count, int shards)
    {
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), shards, "Need at least one shard.");
        if (count < shards) throw new ArgumentException($"Cannot split {count} samples into {shards} non-empty shards.", nameof(shards));
    }
}
