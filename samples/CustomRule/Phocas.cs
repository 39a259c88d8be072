using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Plugins;

namespace CustomRule;

/// <summary>
/// Phocas (Xie, Koyejo &amp; Gupta 2018), written outside AkkaByz.Core: per coordinate, the mean of the m − b values
/// nearest to the coordinate's b-trimmed mean (b = f unless <c>phocas(b=K)</c>). Needs m &gt; 2b. A plain scalar
/// implementation: the point of this sample is the extension seam, not speed.
/// </summary>
public sealed class Phocas : IAggregator
{
    private readonly float[] _column;
    private readonly double[] _distance;
    private readonly int[] _order;

    public Phocas(int m, int f, int b)
    {
        if (b < 0) throw new ArgumentException($"b must be ≥ 0, got {b}.");
        if (m <= 2 * b) throw new ArgumentException($"Phocas needs m > 2b, got m = {m}, b = {b}.");
        (M, F, B) = (m, f, b);
        _column = new float[m];
        _distance = new double[m];
        _order = new int[m];
    }

    public int M { get; }
    public int F { get; }
    public int B { get; }
    public string Spec => $"phocas(b={B})";

    public AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output)
    {
        if (inputs.Count != M) throw new ArgumentException($"expected {M} inputs, got {inputs.Count}.");
        for (var j = 0; j < output.Length; j++)
        {
            for (var i = 0; i < M; i++) _column[i] = inputs[i][j];
            Array.Sort(_column);
            double trimmed = 0;
            for (var i = B; i < M - B; i++) trimmed += _column[i];
            trimmed /= M - 2 * B;
            for (var i = 0; i < M; i++) { _distance[i] = Math.Abs(_column[i] - trimmed); _order[i] = i; }
            Array.Sort(_distance, _order);
            double sum = 0;
            for (var k = 0; k < M - B; k++) sum += _column[_order[k]];
            output[j] = (float)(sum / (M - B));
        }
        return AggregationReport.None;
    }
}

/// <summary>Registers <c>phocas</c> when akkabyz loads this assembly (<c>--plugin CustomRule.dll</c>).</summary>
public sealed class CustomRulePlugin : IAkkaByzPlugin
{
    public void Register() =>
        RuleRegistry.Register("phocas", "phocas(b=f)", "Phocas: per coordinate, the mean of the m − b values nearest the b-trimmed mean (sample plugin)",
            [new RuleParameter("b", true, v => v >= 0 && v <= 1_000_000, "an integer ≥ 0 (with m > 2b)")],
            (spec, m, f, _) => new Phocas(m, f, (int)spec.Parameter("b", f)));
}
