using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// MeaMed(f), the mean around the median (Xie, Koyejo &amp; Gupta, "Generalized Byzantine-tolerant SGD", 2018):
/// per coordinate, the mean of the m − f values closest to the coordinate-wise median (for even m the mean of the two
/// middle values; on a distance tie the smaller value is taken). Robust for f &lt; m/2. Same blocked SIMD sorting
/// network over an L1 tile as CWMed and CWTM (here the full network), then a branch-free window search; see
/// <see cref="OrderStatisticKernels.ClosestToMedianMean"/>.
/// </summary>
public sealed class MeanAroundMedian : AggregatorBase
{
    public MeanAroundMedian(int m, int f) : base(m, f) { }

    internal override bool IsCoordinateWise => true;

    /// <inheritdoc />
    public override string Spec => "meamed";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        if (!OrderStatisticKernels.ClosestToMedianMean(inputs, M - F, output, Scratch))
            NonFinite.ThrowIfAny(inputs, output.Length);
        return AggregationReport.None;
    }
}
