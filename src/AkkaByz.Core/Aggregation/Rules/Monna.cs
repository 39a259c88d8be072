using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// MoNNA(f, pivot), mean of the nearest neighbours of a pivot (Farhadkhani, Guerraoui, Gupta, Hoang, Pinot &amp;
/// Stephan, "Robust collaborative learning with linear gradient overhead", ICML 2023): the mean of the m − f inputs
/// closest to x_pivot (itself included; ties by index). The pivot is meant to be a trusted input (e.g. the server's
/// own gradient); default pivot = 0. One streaming pass for the distances to the pivot, one weighted-sum pass.
/// Reports the m − f averaged inputs as selected, the rest as suspects.
/// </summary>
public sealed class Monna : AggregatorBase
{
    private readonly double[] _dist;
    private readonly double[] _w;

    public Monna(int m, int f, int pivot = 0) : base(m, f)
    {
        if (pivot < 0 || pivot >= m)
            throw new ArgumentOutOfRangeException(nameof(pivot), $"MoNNA's pivot must be an input index in 0..{m - 1}; got pivot = {pivot}.");
        Pivot = pivot;
        _dist = new double[m];
        _w = new double[m];
    }

    /// <summary>Index of the pivot input.</summary>
    public int Pivot { get; }

    /// <inheritdoc />
    public override string Spec => Pivot == 0 ? "monna" : $"monna(pivot={Pivot})";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length, k = m - F;
        if (!DistanceKernels.SquaredDistancesTo(inputs, inputs[Pivot], _dist, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        _dist[Pivot] = 0;
        var order = InputValidation.OrderByKeyThenIndex(_dist);
        var sel = new int[k];
        Array.Copy(order, sel, k);
        Array.Sort(sel);
        Array.Clear(_w);
        foreach (int i in sel) _w[i] = 1.0 / k;
        if (!LinearKernels.WeightedSum(inputs, _w, output, Scratch)) FailNonFinite(inputs, d, "The neighbours' mean");
        return new AggregationReport(InputValidation.Complement(m, sel), sel);
    }
}
