using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// Krum(f): score_i = Σ of the squared distances from x_i to its m − f − 2 nearest other inputs; output the input
/// with the smallest score (ties: lowest index). Needs m &gt; 2f + 2. (Blanchard et al., "Machine learning with
/// adversaries: Byzantine tolerant gradient descent", NeurIPS 2017.) Pairwise distances through the blocked kernel
/// <see cref="DistanceKernels.PairwiseSquaredDistances"/>; O(m²d) compute, one read of the input.
/// </summary>
public sealed class Krum : AggregatorBase
{
    private readonly KrumScores _scores;

    public Krum(int m, int f) : base(m, f)
    {
        KrumScores.ValidateBound(m, f);
        _scores = new KrumScores(m, f);
    }

    /// <inheritdoc />
    public override string Spec => "krum";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        var order = _scores.Rank(inputs, output.Length, Scratch);
        int best = order[0];
        inputs[best].AsSpan().CopyTo(output);
        return new AggregationReport(InputValidation.Complement(M, [best]), [best]);
    }
}

/// <summary>Krum scores shared by Krum and MultiKrum.</summary>
internal sealed class KrumScores(int m, int f)
{
    private readonly double[] _d2 = new double[m * m];
    private readonly double[] _score = new double[m];
    private readonly double[] _row = new double[m];

    public static void ValidateBound(int m, int f)
    {
        if (m <= 2 * f + 2)
            throw new ArgumentOutOfRangeException(nameof(f),
                $"Krum needs m > 2f + 2; got m = {m}, f = {f} (so m must be at least {2 * f + 3}, or f at most {(m - 3) / 2}).");
    }

    /// <summary>Input indices ordered by Krum score ascending (ties by index).</summary>
    public int[] Rank(IReadOnlyList<float[]> inputs, int d, KernelScratch scratch)
    {
        if (!DistanceKernels.PairwiseSquaredDistances(inputs, d, _d2, scratch)) NonFinite.ThrowIfAny(inputs, d);
        int k = m - f - 2;
        for (int i = 0; i < m; i++)
        {
            int c = 0;
            for (int j = 0; j < m; j++) if (j != i) _row[c++] = _d2[i * m + j];
            var r = _row.AsSpan(0, m - 1);
            r.Sort();
            double s = 0;
            for (int j = 0; j < k; j++) s += r[j];
            _score[i] = s;
        }
        return InputValidation.OrderByKeyThenIndex(_score);
    }
}
