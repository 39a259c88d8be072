using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// DnC(f), divide-and-conquer (Shejwalkar &amp; Houmansadr, "Manipulating the Byzantine: optimizing model poisoning
/// attacks and defenses for federated learning", NDSS 2021): `iters` times, draw b coordinates at random (without
/// replacement; all of them when b ≥ d), centre the inputs restricted to them at their mean, score each input by its
/// squared projection on the top right singular vector of that m×b matrix, and keep the m − ⌈c·f⌉ lowest scores
/// (ties by index); output the mean of the inputs kept every time (if no input is kept every time, of those kept most
/// often). All m-dimensional: the m×b sample is gathered once per iteration in double, its centred Gram matrix G
/// (m×m) built from it, and with G's top eigenpair (λ, u) the scores are λ u_i². The coordinates come from a stream
/// seeded by <c>Build</c>'s seed and the call number, which is this rule's <see cref="AggregatorState"/> (so a restored
/// checkpoint draws the same coordinates). A weighted-sum pass averages the kept inputs. Defaults: iters = 5,
/// b = 10,000, c = 1 (the paper's). Reports the kept inputs as selected, the rest as suspects.
/// </summary>
public sealed class DivideAndConquer : AggregatorBase
{
    public const int DefaultIterations = 5;
    public const int DefaultSubDimension = 10_000;
    public const double DefaultFilterFraction = 1.0;

    private readonly int _seed;
    private readonly double[] _g;
    private readonly double[] _u;
    private readonly double[] _work;
    private readonly double[] _score;
    private readonly int[] _kept;
    private readonly double[] _w;
    private double[] _sample = [];
    private readonly CoordinateSampler _sampler = new();
    private AggregatorState.Slot _slot = new();

    public DivideAndConquer(int m, int f, int iterations = DefaultIterations, int subDimension = DefaultSubDimension,
        double filterFraction = DefaultFilterFraction, int seed = 0) : base(m, f)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), $"DnC needs iters ≥ 1, got {iterations}.");
        if (subDimension < 1) throw new ArgumentOutOfRangeException(nameof(subDimension), $"DnC needs dim ≥ 1, got {subDimension}.");
        if (!(filterFraction >= 0) || !double.IsFinite(filterFraction))
            throw new ArgumentOutOfRangeException(nameof(filterFraction), $"DnC needs a finite c ≥ 0, got {filterFraction}.");
        Removed = (int)Math.Ceiling(filterFraction * f - 1e-12);
        if (Removed >= m)
            throw new ArgumentOutOfRangeException(nameof(filterFraction),
                FormattableString.Invariant($"DnC drops ⌈c·f⌉ = {Removed} inputs per iteration, which leaves none of m = {m}; c·f must be below m (c at most {(m - 1.0) / Math.Max(1, f):G4} at f = {f})."));
        Iterations = iterations;
        SubDimension = subDimension;
        FilterFraction = filterFraction;
        _seed = seed;
        _g = new double[m * m];
        _u = new double[m];
        _work = new double[m * m];
        _score = new double[m];
        _kept = new int[m];
        _w = new double[m];
    }

    public int Iterations { get; }
    public int SubDimension { get; }
    public double FilterFraction { get; }

    /// <summary>⌈c·f⌉, the inputs dropped per iteration.</summary>
    public int Removed { get; }

    /// <inheritdoc />
    public override string Spec
    {
        get
        {
            var p = new List<string>();
            if (FilterFraction != DefaultFilterFraction) p.Add(FormattableString.Invariant($"c={FilterFraction:R}"));
            if (SubDimension != DefaultSubDimension) p.Add($"dim={SubDimension}");
            if (Iterations != DefaultIterations) p.Add($"iters={Iterations}");
            return p.Count == 0 ? "dnc" : $"dnc({string.Join(",", p)})";
        }
    }

    internal override bool HasState => true;

    internal override void BindState(AggregatorState state, ref int next) => _slot = state[next++];

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length;
        if (checkFinite) NonFiniteScan(inputs, d);
        var rng = CoordinateSampler.CallRandom(_seed, _slot.Counter);
        int b = Math.Min(SubDimension, d);
        if (_sample.Length < m * b) _sample = new double[m * b];
        Array.Clear(_kept);
        for (int t = 0; t < Iterations; t++)
        {
            var idx = _sampler.Draw(rng, d, b);
            Gather(inputs, idx, b);
            Gram(m, b);
            double lambda = SpectralKernels.TopEigen(_g, m, _u, _work);
            for (int i = 0; i < m; i++) _score[i] = Math.Max(0, lambda) * _u[i] * _u[i];
            var order = InputValidation.OrderByKeyThenIndex(_score);
            for (int r = 0; r < m - Removed; r++) _kept[order[r]]++;
        }
        int most = _kept.Max();
        var sel = Enumerable.Range(0, m).Where(i => _kept[i] == most).ToArray();
        Array.Clear(_w);
        foreach (int i in sel) _w[i] = 1.0 / sel.Length;
        if (!LinearKernels.WeightedSum(inputs, _w, output, Scratch)) FailNonFinite(inputs, d, "The kept inputs' mean");
        _slot.Counter++;
        return new AggregationReport(InputValidation.Complement(m, sel), sel);
    }

    /// <summary>The inputs are read in full only by the final mean, which skips dropped rows: check them all here.</summary>
    private void NonFiniteScan(IReadOnlyList<float[]> inputs, int d)
    {
        if (!DistanceKernels.SquaredNorms(inputs, d, _score, Scratch)) NonFinite.ThrowIfAny(inputs, d);
    }

    private void Gather(IReadOnlyList<float[]> inputs, int[] idx, int b)
    {
        int m = M;
        var s = _sample;
        Parallel.For(0, m, i =>
        {
            var x = inputs[i];
            int o = i * b;
            if (idx.Length == 0) for (int j = 0; j < b; j++) s[o + j] = x[j];
            else for (int j = 0; j < b; j++) s[o + j] = x[idx[j]];
        });
        // Centre every sampled coordinate at its mean over the inputs.
        for (int j = 0; j < b; j++)
        {
            double mu = 0;
            for (int i = 0; i < m; i++) mu += s[i * b + j];
            mu /= m;
            for (int i = 0; i < m; i++) s[i * b + j] -= mu;
        }
    }

    private void Gram(int m, int b)
    {
        var s = _sample;
        for (int i = 0; i < m; i++)
        {
            var xi = new ReadOnlySpan<double>(s, i * b, b);
            for (int j = i; j < m; j++)
            {
                double v = System.Numerics.Tensors.TensorPrimitives.Dot(xi, new ReadOnlySpan<double>(s, j * b, b));
                _g[i * m + j] = v;
                _g[j * m + i] = v;
            }
        }
    }
}
