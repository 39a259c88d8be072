using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// The frame of the rules that output the mean of one chosen (m − f)-subset of the inputs (MDA, SMEA): one blocked
/// pass builds the m×m squared-distance matrix <see cref="D2"/> in double, <see cref="Search"/> picks the subset on
/// those m² numbers alone, and a weighted-sum pass averages it. Reports the subset as selected and the other f as
/// suspects.
/// </summary>
public abstract class SubsetMeanRule : AggregatorBase
{
    private readonly double[] _w;

    protected SubsetMeanRule(int m, int f) : base(m, f)
    {
        D2 = new double[m * m];
        _w = new double[m];
        Row = new double[m];
        Current = new int[m - f];
        Best = new int[m - f];
    }

    /// <summary>The squared distances ‖x_i − x_j‖² at [i·m + j], in double.</summary>
    private protected double[] D2 { get; }

    /// <summary>Scratch of m doubles for one row of <see cref="D2"/>.</summary>
    private protected double[] Row { get; }

    /// <summary>Scratch of m − f indices: the subset being built.</summary>
    private protected int[] Current { get; }

    /// <summary>The best subset found so far, ascending.</summary>
    private protected int[] Best { get; }

    /// <summary>The chosen subset of <paramref name="k"/> = m − f indices, ascending (a fresh array).</summary>
    private protected abstract int[] Search(int k);

    internal sealed override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length, k = m - F;
        if (!DistanceKernels.PairwiseSquaredDistances(inputs, d, D2, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        var sel = Search(k);
        Array.Clear(_w);
        foreach (int i in sel) _w[i] = 1.0 / k;
        if (!LinearKernels.WeightedSum(inputs, _w, output, Scratch)) FailNonFinite(inputs, d, "The subset mean");
        return new AggregationReport(InputValidation.Complement(m, sel), sel);
    }
}
