using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// Bulyan(f) (El Mhamdi, Guerraoui &amp; Rouault, "The hidden vulnerability of distributed learning in Byzantium",
/// ICML 2018). Needs m ≥ 4f + 3. Selection: θ = m − 2f inputs chosen by Krum applied repeatedly to the inputs not yet
/// chosen (R, shrinking by one each time; score = Σ of the squared distances to the max(2, |R| − f − 2) nearest others
/// in R; the lowest score, ties by index). Aggregation: per coordinate, the mean of the β = θ − 2f selected values
/// closest to the selected values' median (<see cref="OrderStatisticKernels.ClosestToMedianMean"/>). The m×m distance
/// matrix is computed once (one blocked pass) and every Krum round reuses it: O(m²d + θ m² log m). Reports the θ
/// selected inputs as selected, the rest as suspects.
/// </summary>
public sealed class Bulyan : AggregatorBase
{
    private readonly double[] _d2;
    private readonly double[] _row;
    private readonly bool[] _chosen;
    private readonly float[][] _selected;

    public Bulyan(int m, int f) : base(m, f)
    {
        ValidateBound(m, f);
        _d2 = new double[m * m];
        _row = new double[m];
        _chosen = new bool[m];
        Theta = m - 2 * f;
        Beta = Theta - 2 * f;
        _selected = new float[Theta][];
    }

    /// <summary>θ = m − 2f, the number of inputs the Krum rounds select.</summary>
    public int Theta { get; }

    /// <summary>β = θ − 2f, the number of selected values averaged per coordinate.</summary>
    public int Beta { get; }

    /// <inheritdoc />
    public override string Spec => "bulyan";

    internal static void ValidateBound(int m, int f)
    {
        if (m < 4 * f + 3)
            throw new ArgumentOutOfRangeException(nameof(f),
                $"Bulyan needs m ≥ 4f + 3; got m = {m}, f = {f} (so m must be at least {4 * f + 3}, or f at most {Math.Max(0, (m - 3) / 4)}).");
    }

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length;
        if (!DistanceKernels.PairwiseSquaredDistances(inputs, d, _d2, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        var order = SelectionOrder();
        var sel = new int[Theta];
        Array.Copy(order, sel, Theta);
        Array.Sort(sel);
        for (int s = 0; s < Theta; s++) _selected[s] = inputs[sel[s]];
        bool ok = OrderStatisticKernels.ClosestToMedianMean(_selected, Beta, output, Scratch);
        Array.Clear(_selected); // hold no reference to the caller's vectors between calls
        if (!ok) NonFinite.ThrowIfAny(inputs, d);
        return new AggregationReport(InputValidation.Complement(m, sel), sel);
    }

    /// <summary>The θ inputs in the order the repeated Krum rounds choose them (from the distance matrix).</summary>
    private int[] SelectionOrder()
    {
        int m = M;
        Array.Clear(_chosen);
        var order = new int[Theta];
        for (int step = 0; step < Theta; step++)
        {
            int remaining = m - step;
            int nearest = Math.Max(2, remaining - F - 2); // 2, not 1: with one neighbour the closest pair always ties
            int best = -1;
            double bestScore = double.PositiveInfinity;
            for (int i = 0; i < m; i++)
            {
                if (_chosen[i]) continue;
                int c = 0;
                for (int j = 0; j < m; j++) if (j != i && !_chosen[j]) _row[c++] = _d2[i * m + j];
                var r = _row.AsSpan(0, c);
                r.Sort();
                double score = 0;
                for (int q = 0; q < Math.Min(nearest, c); q++) score += r[q];
                if (score < bestScore || best < 0) { bestScore = score; best = i; }
            }
            _chosen[best] = true;
            order[step] = best;
        }
        return order;
    }
}
