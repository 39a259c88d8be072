using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Specs;

namespace AkkaByz.Core.Data;

/// <summary>
/// Splits a data set's sample indices into m shards, one per worker. Every sample lands in exactly one shard.
/// Specs, in the grammar of aggregator and attack specs: <c>iid</c>, <c>dirichlet(alpha=ALPHA)</c> (or the older
/// positional <c>dirichlet(ALPHA)</c>), <c>gamma(g=G)</c> (ByzFL's gamma-similarity: a fraction G of the data IID, the
/// rest sorted by label) and <c>extreme</c> (all sorted by label, = <c>gamma(g=0)</c>).
/// </summary>
public static class Partitioner
{
    private sealed record PartitionEntry(string Name, RuleParameter[] Parameters, string Usage, string Summary) : ISpecEntry
    {
        public bool IsMeta => false;
        IReadOnlyList<RuleParameter> ISpecEntry.Parameters => Parameters;
        public bool AllowsPositional => true;
    }

    private static readonly PartitionEntry[] Entries =
    [
        new("iid", [], "iid", "seeded shuffle cut into equal shards"),
        new("dirichlet", [new("alpha", false, v => v > 0, "a number > 0")], "dirichlet(alpha=0.5)",
            "label skew: each class dealt to the shards in Dir(α) proportions (Hsu et al. 2019)"),
        new("gamma", [new("g", false, v => v >= 0 && v <= 1, "a number in [0, 1]")], "gamma(g=0.5)",
            "gamma-similarity (ByzFL): a fraction g IID, the rest sorted by label and cut in order"),
        new("extreme", [], "extreme", "all samples sorted by label and cut in order (= gamma(g=0))"),
    ];

    private static readonly SpecGrammar Grammar = new("partition", n => Entries.FirstOrDefault(e => e.Name == n),
        () => Entries.Select(e => e.Name), (text, problem) => new ArgumentException(
            $"Invalid partition spec '{text}': {problem}. Partitions: {string.Join(", ", Entries.Select(e => e.Usage))}."));

    /// <summary>Every partition: usage and summary (help texts, docs).</summary>
    public static IReadOnlyList<(string Usage, string Summary)> Describe() => Entries.Select(e => (e.Usage, e.Summary)).ToArray();

    /// <summary>The canonical text of a partition spec (<c>Dirichlet(0.3)</c> → <c>dirichlet(alpha=0.3)</c>).</summary>
    /// <exception cref="ArgumentException">Unknown partition or bad parameter (one sentence naming it and listing the valid ones).</exception>
    public static string Canonical(string spec)
    {
        var node = Grammar.Parse(spec);
        if (node.Entry.Name == "dirichlet" && !node.Values.ContainsKey("alpha"))
            throw new ArgumentException($"Invalid partition spec '{spec}': dirichlet needs α, e.g. dirichlet(alpha=0.5).");
        return node.ToString();
    }

    /// <summary>Partitions by spec; see the class remarks.</summary>
    /// <exception cref="ArgumentException">Unknown spec or bad parameter.</exception>
    public static int[][] Create(string spec, DataSet data, int shards, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        if (spec.Trim().Length == 0) return Iid(data.Count, shards, seed);
        var node = Grammar.Parse(spec);
        double Get(string key) => node.Values[key];
        return node.Entry.Name switch
        {
            "iid" => Iid(data.Count, shards, seed),
            "dirichlet" => node.Values.ContainsKey("alpha")
                ? Dirichlet(data.Labels, data.ClassCount, shards, Get("alpha"), seed)
                : throw new ArgumentException($"Invalid partition spec '{spec}': dirichlet needs α, e.g. dirichlet(alpha=0.5)."),
            "gamma" => Gamma(data.Labels, shards, node.Values.TryGetValue("g", out var g) ? g : 0.5, seed),
            _ => Gamma(data.Labels, shards, 0, seed),
        };
    }

    /// <summary>
    /// Gamma-similarity (ByzFL's <c>gamma_similarity_niid</c>): a seeded shuffle; its first round(γ·N) samples are cut
    /// into m near-equal IID pieces; the other samples are sorted by label (ties by index) and cut in that order into m
    /// near-equal contiguous pieces; shard s gets IID piece s and sorted piece s. γ = 1 is IID, γ = 0 the extreme
    /// split where each shard holds ⌈C/m⌉ or so consecutive classes. Shards are sorted; every shard is non-empty when
    /// count ≥ m.
    /// </summary>
    public static int[][] Gamma(IReadOnlyList<int> labels, int shards, double gamma, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        CheckShards(labels.Count, shards);
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentException($"gamma-similarity needs 0 ≤ γ ≤ 1, got {gamma}.", nameof(gamma));
        var order = Enumerable.Range(0, labels.Count).ToArray();
        new Random(seed).Shuffle(order);
        int iidCount = (int)Math.Round(gamma * labels.Count);
        var iid = order[..iidCount];
        var rest = order[iidCount..];
        Array.Sort(rest, (a, b) => labels[a] != labels[b] ? labels[a].CompareTo(labels[b]) : a.CompareTo(b));
        var result = new int[shards][];
        for (var s = 0; s < shards; s++)
        {
            var (i0, i1) = Cut(iid.Length, shards, s);
            var (r0, r1) = Cut(rest.Length, shards, s);
            var shard = new int[i1 - i0 + r1 - r0];
            iid.AsSpan(i0, i1 - i0).CopyTo(shard);
            rest.AsSpan(r0, r1 - r0).CopyTo(shard.AsSpan(i1 - i0));
            Array.Sort(shard);
            result[s] = shard;
        }
        // Both halves short of m samples can leave a shard empty: move one sample from the largest shard.
        for (var s = 0; s < shards; s++)
        {
            if (result[s].Length > 0) continue;
            var largest = 0;
            for (var j = 1; j < shards; j++) if (result[j].Length > result[largest].Length) largest = j;
            result[s] = [result[largest][^1]];
            result[largest] = result[largest][..^1];
        }
        return result;
    }

    /// <summary>Piece s of [0, count) cut into m near-equal contiguous pieces (the first count mod m one longer).</summary>
    private static (int Start, int End) Cut(int count, int shards, int s)
    {
        int baseSize = count / shards, extra = count % shards;
        int start = s * baseSize + Math.Min(s, extra);
        return (start, start + baseSize + (s < extra ? 1 : 0));
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
