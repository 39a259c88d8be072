using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// CWMed: the coordinate-wise median, output[c] = median_i x_i[c] (for even m, the mean of the two middle values).
/// Robust for f &lt; m/2. Blocked SIMD sorting network over an L1 tile; see <see cref="OrderStatisticKernels"/>.
/// (Yin et al., "Byzantine-robust distributed learning: towards optimal statistical rates", ICML 2018.)
/// </summary>
public sealed class CoordinateWiseMedian : AggregatorBase
{
    public CoordinateWiseMedian(int m, int f) : base(m, f) { }

    internal override bool IsCoordinateWise => true;

    /// <inheritdoc />
    public override string Spec => "cwmed";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        if (!OrderStatisticKernels.RankMean(inputs, (M - 1) / 2, M / 2, output, Scratch))
            NonFinite.ThrowIfAny(inputs, output.Length);
        return AggregationReport.None;
    }
}
