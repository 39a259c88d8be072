using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// CWTM(f): per coordinate, drop the f largest and the f smallest values and average the remaining m − 2f
/// (needs m &gt; 2f). Blocked SIMD sorting network over an L1 tile; see <see cref="OrderStatisticKernels"/>.
/// (Yin et al., ICML 2018.)
/// </summary>
public sealed class CoordinateWiseTrimmedMean : AggregatorBase
{
    public CoordinateWiseTrimmedMean(int m, int f) : base(m, f)
    {
        // m > 2f is the base class's bound already; restated here because it is this rule's defining requirement.
        if (m <= 2 * f) throw new ArgumentOutOfRangeException(nameof(f), $"CWTM needs m > 2f; got m = {m}, f = {f}.");
    }

    internal override bool IsCoordinateWise => true;

    /// <inheritdoc />
    public override string Spec => "cwtm";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        if (!OrderStatisticKernels.RankMean(inputs, F, M - F - 1, output, Scratch))
            NonFinite.ThrowIfAny(inputs, output.Length);
        return AggregationReport.None;
    }
}
