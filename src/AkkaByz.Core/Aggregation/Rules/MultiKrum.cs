using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// MultiKrum(f, q): the mean of the q inputs with the smallest Krum scores (ties: lowest index); q = 1 is Krum.
/// Default q = m − f. Needs m &gt; 2f + 2 and 1 ≤ q ≤ m − f. (El Mhamdi, Guerraoui, Rouault, ICML 2018.)
/// </summary>
public sealed class MultiKrum : AggregatorBase
{
    private readonly KrumScores _scores;
    private readonly double[] _w;

    /// <param name="m">Inputs per call.</param>
    /// <param name="f">Tolerated Byzantine inputs.</param>
    /// <param name="q">How many best-scored inputs to average; null for the default m − f.</param>
    public MultiKrum(int m, int f, int? q = null) : base(m, f)
    {
        KrumScores.ValidateBound(m, f);
        int qq = q ?? m - f;
        if (qq < 1 || qq > m - f)
            throw new ArgumentOutOfRangeException(nameof(q), $"MultiKrum needs 1 ≤ q ≤ m − f = {m - f}; got q = {qq}.");
        Q = qq;
        QIsDefault = q is null;
        _scores = new KrumScores(m, f);
        _w = new double[m];
    }

    /// <summary>Number of inputs averaged.</summary>
    public int Q { get; }

    private bool QIsDefault { get; }

    /// <inheritdoc />
    public override string Spec => QIsDefault ? "multikrum" : $"multikrum(q={Q})";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        var order = _scores.Rank(inputs, output.Length, Scratch);
        Array.Clear(_w);
        var sel = new int[Q];
        for (int j = 0; j < Q; j++) { sel[j] = order[j]; _w[order[j]] = 1.0 / Q; }
        Array.Sort(sel);
        LinearKernels.WeightedSum(inputs, _w, output, Scratch);
        return new AggregationReport(InputValidation.Complement(M, sel), sel);
    }
}
