using AkkaByz.Core.Aggregation.Meta;
using AkkaByz.Core.Aggregation.Rules;

namespace AkkaByz.Core.Aggregation;

/// <summary>
/// One parameter of a rule, attack or partition in the spec language: a number (integer when
/// <paramref name="IsInteger"/>) that <paramref name="IsValid"/> accepts, or, with <paramref name="Choices"/>, one of
/// those words (the parsed value is then the word's index). <paramref name="Requirement"/> is what error texts say.
/// </summary>
public sealed record RuleParameter(string Name, bool IsInteger, Func<double, bool> IsValid, string Requirement, string[]? Choices = null)
{
    /// <summary>A parameter whose value is one of <paramref name="choices"/> (lower-case words).</summary>
    public static RuleParameter Choice(string name, params string[] choices) =>
        new(name, true, v => v >= 0 && v < choices.Length, "one of " + string.Join(", ", choices), choices);

    /// <summary>A finite number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static RuleParameter Number(string name, double min = double.MinValue, double max = double.MaxValue, string? requirement = null) =>
        new(name, false, v => v >= min && v <= max, requirement ?? (min == double.MinValue ? "a number" : max == double.MaxValue ? $"a number ≥ {min}" : $"a number in [{min}, {max}]"));
}

/// <summary>One rule of the spec language: its name, parameters, whether it wraps an inner rule, and its factory.</summary>
internal sealed record RuleInfo(
    string Name,
    bool IsMeta,
    RuleParameter[] Parameters,
    string Usage,
    string Summary,
    Func<AggregatorSpec, int, int, int, AggregatorBase> Build) : Specs.ISpecEntry
{
    IReadOnlyList<RuleParameter> Specs.ISpecEntry.Parameters => Parameters;
    bool Specs.ISpecEntry.AllowsPositional => false;
}

/// <summary>
/// The one place where spec names map to implementations: the built-in <see cref="Rules"/>, then the rules added at
/// run time through <see cref="RuleRegistry.Register"/> (plugins). Help texts, validation, the docs table and the
/// benchmark's rule list all read <see cref="All"/>.
/// </summary>
internal static class RuleCatalog
{
    private static readonly RuleParameter Iters = new("iters", true, v => v >= 1 && v <= 1_000_000, "an integer ≥ 1");
    private static readonly RuleParameter Nu = new("nu", false, v => v > 0 && double.IsFinite(v), "a number > 0");
    private static readonly RuleParameter Q = new("q", true, v => v >= 1 && v <= 1_000_000, "an integer ≥ 1 (and ≤ m − f)");
    private static readonly RuleParameter S = new("s", true, v => v >= 1 && v <= 1_000_000, "an integer ≥ 1 (with ⌈m/s⌉ > 2f)");
    private static readonly RuleParameter C = new("c", false, v => v > 0 && double.IsFinite(v), "a number > 0");
    private static readonly RuleParameter Pivot = new("pivot", true, v => v >= 0 && v <= 1_000_000, "an input index ≥ 0 (and < m)");
    private static readonly RuleParameter Tau = new("tau", false, v => v > 0 && double.IsFinite(v), "a number > 0");
    private static readonly RuleParameter Dim = new("dim", true, v => v >= 1 && v <= int.MaxValue, "an integer ≥ 1");
    private static readonly RuleParameter Fraction = new("c", false, v => v >= 0 && double.IsFinite(v), "a number ≥ 0 (with c·f < m)");
    private static readonly RuleParameter Lower = new("lower", false, v => v >= 0 && v <= 1, "a number in [0, 1]");
    private static readonly RuleParameter Upper = new("upper", false, v => v >= 1 && double.IsFinite(v), "a number ≥ 1");
    private static readonly RuleParameter Frac = new("frac", false, v => v > 0 && v <= 1, "a number in (0, 1]");

    public static readonly RuleInfo[] Rules =
    [
        new("mean", false, [], "mean", "arithmetic mean (not robust)",
            (_, m, f, _) => new Mean(m, f)),
        new("cwmed", false, [], "cwmed", "coordinate-wise median",
            (_, m, f, _) => new CoordinateWiseMedian(m, f)),
        new("cwtm", false, [], "cwtm", "coordinate-wise trimmed mean, f trimmed per side (m > 2f)",
            (_, m, f, _) => new CoordinateWiseTrimmedMean(m, f)),
        new("geomed", false, [Iters, Nu], "geomed(iters=3,nu=0.1)", "geometric median by smoothed Weiszfeld (RFA)",
            (s, m, f, _) => new GeometricMedian(m, f,
                (int)s.Get("iters", GeometricMedian.DefaultIterations), s.Get("nu", GeometricMedian.DefaultNu))),
        new("krum", false, [], "krum", "Krum: the input with the smallest score (m > 2f + 2)",
            (_, m, f, _) => new Krum(m, f)),
        new("multikrum", false, [Q], "multikrum(q=m-f)", "mean of the q best Krum scores (m > 2f + 2)",
            (s, m, f, _) => new MultiKrum(m, f, s.Parameters.TryGetValue("q", out var q) ? (int)q : null)),
        new("meamed", false, [], "meamed", "mean around the median: per coordinate, the m − f values closest to the median",
            (_, m, f, _) => new MeanAroundMedian(m, f)),
        new("bulyan", false, [], "bulyan", "Bulyan: m − 2f inputs by repeated Krum, then per coordinate the m − 4f closest to their median (m ≥ 4f + 3)",
            (_, m, f, _) => new Bulyan(m, f)),
        new("mda", false, [], "mda", "minimum-diameter averaging: the mean of the m − f inputs with the smallest diameter",
            (_, m, f, _) => new MinimumDiameterAveraging(m, f)),
        new("monna", false, [Pivot], "monna(pivot=0)", "mean of the m − f inputs nearest to the pivot input",
            (s, m, f, _) => new Monna(m, f, (int)s.Get("pivot", 0))),
        new("smea", false, [], "smea", "smallest maximum eigenvalue: the mean of the m − f inputs whose covariance has the smallest top eigenvalue",
            (_, m, f, _) => new SmallestMaximumEigenvalue(m, f)),
        new("caf", false, [], "caf", "covariance-bound agnostic filter: down-weights inputs along the top eigenvector until ≤ m − 2f weight is left",
            (_, m, f, _) => new CovarianceFilter(m, f)),
        new("dnc", false, [Iters, Dim, Fraction], "dnc(iters=5,dim=10000,c=1)", "divide-and-conquer: on random coordinates, drop the ⌈c·f⌉ top singular-vector scores; mean of the rest",
            (s, m, f, seed) => new DivideAndConquer(m, f, (int)s.Get("iters", DivideAndConquer.DefaultIterations),
                (int)s.Get("dim", DivideAndConquer.DefaultSubDimension), s.Get("c", DivideAndConquer.DefaultFilterFraction), seed)),
        new("signguard", false, [Lower, Upper, Frac], "signguard(lower=0.1,upper=3,frac=0.1)", "SignGuard: norm filter around the median norm, 2-means on sign statistics, clipped mean",
            (s, m, f, seed) => new SignGuard(m, f, s.Get("lower", SignGuard.DefaultLower), s.Get("upper", SignGuard.DefaultUpper),
                s.Get("frac", SignGuard.DefaultFraction), seed)),
        new("cc", false, [Tau, Iters], "cc(tau=10,iters=1)", "centered clipping from the previous output (stateful): v ← v + mean of (x_i − v) clipped to τ",
            (s, m, f, _) => new CenteredClipping(m, f, s.Get("tau", CenteredClipping.DefaultTau), (int)s.Get("iters", CenteredClipping.DefaultIterations))),
        new("ctma", true, [], "ctma(A)", "centered trimmed meta-aggregator: mean of the m − f inputs closest to A's output",
            (s, m, f, seed) => new Ctma(s.Inner!.BuildCore(m, f, seed))),
        new("nnm", true, [], "nnm(A)", "nearest-neighbour mixing (each input → mean of its m − f nearest), then A",
            (s, m, f, seed) => new NearestNeighbourMixing(s.Inner!.BuildCore(m, f, seed))),
        new("bucketing", true, [S], "bucketing(s=2,A)", "seeded random buckets of s averaged, then A on the ⌈m/s⌉ means",
            (s, m, f, seed) =>
            {
                bool dflt = !s.Parameters.ContainsKey("s");
                int size = dflt ? Bucketing.DefaultBucketSize(m, f) : (int)s.Parameters["s"];
                Bucketing.ValidateBound(m, f, size);
                var inner = s.Inner!.BuildCore(Bucketing.BucketCount(m, size), f, seed + 1);
                return new Bucketing(m, f, size, inner, seed, dflt);
            }),
        new("clip", true, [C], "clip(c=2,A)", "static clipping: every input scaled to norm ≤ c, then A",
            (s, m, f, seed) => new StaticClipping(s.Inner!.BuildCore(m, f, seed), s.Get("c", StaticClipping.DefaultThreshold))),
        new("arc", true, [], "arc(A)", "adaptive robust clipping: the ⌊2(f/m)(m − f)⌋ largest inputs clipped to the next norm, then A",
            (s, m, f, seed) => new AdaptiveRobustClipping(s.Inner!.BuildCore(m, f, seed))),
        new("nnm+ctma", true, [], "nnm+ctma(A)", "CTMA whose anchor is NNM∘A, trimming the raw inputs (same as ctma(nnm(A)))",
            (s, m, f, seed) => new Ctma(new NearestNeighbourMixing(s.Inner!.BuildCore(m, f, seed)))),
    ];

    private static readonly Lock Gate = new();
    private static RuleInfo[] _registered = [];

    /// <summary>The built-in rules followed by the registered ones, in registration order.</summary>
    public static IReadOnlyList<RuleInfo> All => [.. Rules, .. Volatile.Read(ref _registered)];

    public static RuleInfo? Find(string name)
    {
        foreach (var r in Rules) if (r.Name == name) return r;
        foreach (var r in Volatile.Read(ref _registered)) if (r.Name == name) return r;
        return null;
    }

    /// <summary>Adds a rule; a name already taken is refused (built-in names cannot be replaced).</summary>
    internal static void Add(RuleInfo rule)
    {
        lock (Gate)
        {
            if (Find(rule.Name) is { } existing)
                throw new ArgumentException($"A rule named '{rule.Name}' is already registered ({existing.Summary}).", nameof(rule));
            _registered = [.. _registered, rule];
        }
    }

    /// <summary>Removes a registered rule; false when no registered rule has that name (built-in ones stay).</summary>
    internal static bool Remove(string name)
    {
        lock (Gate)
        {
            var kept = _registered.Where(r => r.Name != name).ToArray();
            var removed = kept.Length != _registered.Length;
            _registered = kept;
            return removed;
        }
    }
}
