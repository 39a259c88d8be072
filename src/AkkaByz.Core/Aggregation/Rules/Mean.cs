using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// The arithmetic mean (1/m) Σ x_i — not robust (one input moves it arbitrarily); the baseline for speed and the
/// f = 0 case. Accumulated in double per block; one pass over the input.
/// </summary>
public sealed class Mean : AggregatorBase
{
    public Mean(int m, int f) : base(m, f) { }

    internal override bool IsCoordinateWise => true;

    /// <inheritdoc />
    public override string Spec => "mean";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        if (!LinearKernels.Mean(inputs, output, Scratch) && checkFinite) FailNonFinite(inputs, output.Length, "The mean");
        return AggregationReport.None;
    }
}
