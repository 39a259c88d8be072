using System.Numerics;
using System.Globalization;
using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Attacks;

/// <summary>
/// The search of ByzFL's Opt-IPM and Opt-ALIE: the omniscient adversary knows the server's rule, runs it on the full
/// input set of the round (the n honest vectors, in worker order, followed by f copies of its own vector, as the
/// server receives them) and picks the attack factor τ that maximises ‖rule(inputs) − μ‖, μ the honest mean.
/// The line search is ByzFL's: evaluate τ = start; expansion: try τ + δ, and while it is better take it and double
/// δ; on the first failure shrink δ by <see cref="Ratio"/> and contract: try τ + δ (keeping it when better) and shrink
/// δ by the ratio each time, until <see cref="Evaluations"/> evaluations are spent. Exactly
/// <see cref="Evaluations"/> aggregations per round (default 20), each one call of the rule plus one O(d) pass to
/// form the Byzantine vector and one to measure the distance. The rule is built from the run's aggregator spec for
/// (n + f, f) and cached per input count; a stateful rule's copy keeps its own state. Without a rule (no run
/// aggregator given), or when the rule's bound refuses n + f inputs (fewer honest vectors than expected reached the
/// adversary), the search runs against the mean. Every Byzantine worker sends the same vector.
/// Not for two threads at once (the rule and buffers are reused).
/// </summary>
public abstract class OptimalFactorAttack : IAttack
{
    private readonly Func<int, int, IAggregator> _createRule;
    private readonly Dictionary<(int, int), IAggregator> _rules = [];
    private readonly KernelScratch _scratch = new();
    private float[] _byzantine = [];
    private float[] _aggregate = [];

    protected OptimalFactorAttack(Func<int, int, IAggregator>? createRule, int evaluations, double start, double delta, double ratio)
    {
        if (evaluations < 1) throw new ArgumentOutOfRangeException(nameof(evaluations), evaluations, "The search needs at least one evaluation.");
        if (!double.IsFinite(start)) throw new ArgumentException($"start must be finite, got {start}.", nameof(start));
        if (!double.IsFinite(delta) || delta == 0) throw new ArgumentException($"delta must be finite and non-zero, got {delta}.", nameof(delta));
        if (!(ratio > 0.5 && ratio < 1)) throw new ArgumentException($"ratio must lie in (0.5, 1), got {ratio}.", nameof(ratio));
        _createRule = createRule ?? ((m, f) => AggregatorSpec.Parse("mean").Build(m, f));
        Evaluations = evaluations;
        Start = start;
        Delta = delta;
        Ratio = ratio;
    }

    public int Evaluations { get; }
    public double Start { get; }
    public double Delta { get; }
    public double Ratio { get; }
    public bool NeedsHonestVectors => true;
    public bool SameVectorForEveryByzantine => true;
    public abstract string Name { get; }

    /// <summary>The factor chosen by the last <see cref="Craft"/>, and the distance it reached.</summary>
    public (double Factor, double Distance) Last { get; private set; }

    protected abstract string BaseName { get; }

    /// <summary>Prepares the per-round statistics the vector is formed from.</summary>
    protected abstract void Prepare(IReadOnlyList<float[]> honest, int d);

    /// <summary>Writes the Byzantine vector for factor <paramref name="tau"/>.</summary>
    protected abstract void Form(double tau, Span<float> output);

    /// <summary>The honest mean as float (prepared by <see cref="Prepare"/>).</summary>
    protected abstract float[] HonestMean { get; }

    protected string Parameters() => string.Create(CultureInfo.InvariantCulture,
        $"{BaseName}(delta={Delta:R},evals={Evaluations},ratio={Ratio:R},start={Start:R})");

    public void Craft(AttackContext context, Span<float> output)
    {
        var honest = AttackMath.RequireHonest(this, context, output.Length);
        int n = honest.Count, f = context.F, d = output.Length;
        Prepare(honest, d);
        if (_byzantine.Length != d) { _byzantine = new float[d]; _aggregate = new float[d]; }
        if (!_rules.TryGetValue((n + f, f), out var rule))
        {
            try
            {
                rule = _createRule(n + f, f);
            }
            catch (ArgumentException)
            {
                // Fewer honest vectors than the run's m − f (the tap timed out on a slow worker): the rule cannot be
                // built for n + f inputs at this f, so the search runs against the mean of those inputs instead.
                rule = AggregatorSpec.Parse("mean").Build(n + f, 0);
            }
            _rules[(n + f, f)] = rule;
        }
        var inputs = new float[n + f][];
        for (int i = 0; i < n; i++) inputs[i] = honest[i];
        for (int i = n; i < n + f; i++) inputs[i] = _byzantine;

        double Evaluate(double tau)
        {
            Form(tau, _byzantine);
            if (NonFinite.IndexOfNonFinite(_byzantine) >= 0) return double.NegativeInfinity; // beyond float range: the server would reject it
            try { rule.Aggregate(inputs, _aggregate); }
            catch (ArgumentException) { return double.NegativeInfinity; } // e.g. overflow inside the rule: not a usable factor
            return Math.Sqrt(DistanceKernels.SumSquaredDiff(_aggregate, HonestMean));
        }

        double best = Start, bestY = Evaluate(best), delta = Delta;
        int left = Evaluations - 1;
        while (left > 0)
        {
            double x = best + delta, y = Evaluate(x);
            left--;
            if (y > bestY) { best = x; bestY = y; delta *= 2; }
            else { delta *= Ratio; break; }
        }
        while (left > 0)
        {
            double x = best + delta, y = Evaluate(x);
            left--;
            if (y > bestY) { best = x; bestY = y; }
            delta *= Ratio;
        }
        Last = (best, bestY);
        Form(best, output);
    }

    /// <summary>
    /// output[j] = (float)(origin[j] + factor · direction[j]) (origin 0 when null), in double and rounded once, the
    /// same to the bit as the scalar expression (multiply and add separately, no fused multiply-add).
    /// </summary>
    internal static void Line(double[]? origin, double[] direction, double factor, Span<float> output)
    {
        int n = output.Length, j = 0, w = Vector<double>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var f = new Vector<double>(factor);
            var dir = direction.AsSpan(0, n);
            for (; j + 2 * w <= n; j += 2 * w)
            {
                var a = f * new Vector<double>(dir.Slice(j, w));
                var b = f * new Vector<double>(dir.Slice(j + w, w));
                if (origin is not null)
                {
                    a += new Vector<double>(origin, j);
                    b += new Vector<double>(origin, j + w);
                }
                Vector.Narrow(a, b).CopyTo(output.Slice(j, 2 * w));
            }
        }
        for (; j < n; j++) output[j] = origin is null ? (float)(factor * direction[j]) : (float)(origin[j] + factor * direction[j]);
    }
}

/// <summary>
/// Opt-IPM (ByzFL): IPM's vector −τ·μ with τ chosen by <see cref="OptimalFactorAttack"/>'s search against the run's rule.
/// Defaults as ByzFL: 20 evaluations, start 0, δ 10, ratio 0.8.
/// </summary>
public sealed class OptimalIpmAttack(Func<int, int, IAggregator>? createRule = null, int evaluations = 20, double start = 0, double delta = 10, double ratio = 0.8)
    : OptimalFactorAttack(createRule, evaluations, start, delta, ratio)
{
    private readonly HonestStatistics _stats = new();
    public override string Name => Parameters();
    protected override string BaseName => "optipm";
    protected override float[] HonestMean => _stats.MeanFloat;
    protected override void Prepare(IReadOnlyList<float[]> honest, int d) => _stats.Compute(honest, d, withStd: false);

    protected override void Form(double tau, Span<float> output)
    {
        Line(null, _stats.Mean, -tau, output);
    }
}

/// <summary>
/// Opt-ALIE (ByzFL): ALIE's vector μ + τ·σ (σ the sample standard deviation) with τ chosen by
/// <see cref="OptimalFactorAttack"/>'s search against the run's rule. Defaults as ByzFL: 20 evaluations, start 0,
/// δ 10, ratio 0.8.
/// </summary>
public sealed class OptimalAlieAttack(Func<int, int, IAggregator>? createRule = null, int evaluations = 20, double start = 0, double delta = 10, double ratio = 0.8)
    : OptimalFactorAttack(createRule, evaluations, start, delta, ratio)
{
    private readonly HonestStatistics _stats = new();
    public override string Name => Parameters();
    protected override string BaseName => "optalie";
    protected override float[] HonestMean => _stats.MeanFloat;
    protected override void Prepare(IReadOnlyList<float[]> honest, int d) => _stats.Compute(honest, d, withStd: true);

    protected override void Form(double tau, Span<float> output)
    {
        Line(_stats.Mean, _stats.Std, tau, output);
    }
}
