namespace AkkaByz.Runtime.Experiments;

/// <summary>Mean and sample standard deviation (n − 1; 0 for one value) of a list.</summary>
public readonly record struct MeanStd(double Mean, double Std, int N)
{
    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return new(double.NaN, double.NaN, 0);
        var mean = v.Average();
        var std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return new(mean, std, v.Length);
    }

    /// <summary>Accuracy in percent: "81.2 ± 0.4" (or "81.2" for one seed).</summary>
    public string Percent() => N == 0 ? "–" : N == 1
        ? (100 * Mean).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)
        : $"{(100 * Mean).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} ± {(100 * Std).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>The seeds of one (attack, aggregator, optimizer, lr, other axes) setting, summarised.</summary>
public sealed record SettingSummary(
    string Attack, string Aggregator, string Optimizer, double LearningRate, MeanStd Final, MeanStd Best, IReadOnlyList<CellResult> Runs)
{
    /// <summary>Mean accuracy curve over the seeds, at the rounds every seed evaluated.</summary>
    public IReadOnlyList<(long Round, double Accuracy)> MeanCurve()
    {
        var rounds = Runs.Select(r => r.Curve.Select(p => p.Round).ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; });
        return rounds.Order().Select(t => (t, Runs.Average(r => r.Curve.First(p => p.Round == t).Accuracy))).ToList();
    }
}

/// <summary>
/// Groups cell results for the summary and the figures: seeds are averaged; "aggregator" labels carry the values of
/// any axis beyond the five standard ones (e.g. <c>ctma(cwtm) [batch-size=16]</c>) so such axes stay apart.
/// </summary>
public sealed class ExperimentAnalysis
{
    public ExperimentAnalysis(IReadOnlyList<CellResult> results)
    {
        Results = results;
        // Non-standard axes label the aggregator only where they vary: a grid that lists workers = [17] to let one extra
        // sub-grid run 9 honest workers labels just that sub-grid's cells.
        var constant = results.SelectMany(r => r.Values).Where(v => GridSpec.KnownAxes.All(k => k.Name != v.Axis))
            .GroupBy(v => v.Axis).Where(g => g.Select(v => v.Value).Distinct().Count() == 1 && g.Count() == results.Count)
            .Select(g => g.Key).ToHashSet();
        _label = r => Label(r, constant);
        Settings = results
            .GroupBy(r => (r.Attack, Label: _label(r), r.Optimizer, r.LearningRate))
            .Select(g => new SettingSummary(g.Key.Attack, g.Key.Label, g.Key.Optimizer, g.Key.LearningRate,
                MeanStd.Of(g.Select(r => r.FinalAccuracy)), MeanStd.Of(g.Select(r => r.BestAccuracy)), g.OrderBy(r => r.Seed).ToList()))
            .ToList();
        Attacks = results.Select(r => r.Attack).Distinct().ToList();
        Aggregators = results.Select(_label).Distinct().ToList();
        Optimizers = results.Select(r => r.Optimizer).Distinct().ToList();
        LearningRates = results.Select(r => r.LearningRate).Distinct().Order().ToList();
        var combos = Settings.GroupBy(x => (x.Attack, x.Aggregator, x.Optimizer)).ToList();
        CommonLr = LearningRates
            .Where(lr => combos.All(g => g.Any(x => x.LearningRate == lr)))
            .OrderByDescending(lr => Settings.Count(x => x.LearningRate == lr)).ThenBy(lr => lr)
            .Select(lr => (double?)lr).FirstOrDefault();
    }

    /// <summary>
    /// The learning rate every (attack, aggregator, optimizer) combination was run at (the most used one if several),
    /// or null: comparisons across aggregators use it, so a rule swept over more rates gets no advantage.
    /// </summary>
    public double? CommonLr { get; }

    /// <summary>The combination at <see cref="CommonLr"/>, or at its best rate when there is no common one.</summary>
    public SettingSummary? Compared(string attack, string aggregator, string optimizer) => CommonLr is { } lr
        ? Settings.FirstOrDefault(s => s.Attack == attack && s.Aggregator == aggregator && s.Optimizer == optimizer && s.LearningRate == lr)
        : BestLr(attack, aggregator, optimizer);

    /// <summary>How <see cref="Compared"/> picks the learning rate, for captions.</summary>
    public string ComparedAt => CommonLr is { } lr ? $"lr {lr.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}" : "best lr";

    public IReadOnlyList<CellResult> Results { get; }
    public IReadOnlyList<SettingSummary> Settings { get; }
    public IReadOnlyList<string> Attacks { get; }
    public IReadOnlyList<string> Aggregators { get; }
    public IReadOnlyList<string> Optimizers { get; }
    public IReadOnlyList<double> LearningRates { get; }

    private readonly Func<CellResult, string> _label;

    /// <summary>The aggregator spec plus the values of non-standard axes (all of them; the analysis leaves out those
    /// that take one value in every result).</summary>
    public static string Label(CellResult r) => Label(r, new HashSet<string>());

    private static string Label(CellResult r, IReadOnlySet<string> omit)
    {
        var extra = r.Values.Where(v => GridSpec.KnownAxes.All(k => k.Name != v.Axis) && !omit.Contains(v.Axis)).Select(v => $"{v.Axis}={v.Value}").ToList();
        return extra.Count == 0 ? r.Aggregator : $"{r.Aggregator} [{string.Join(", ", extra)}]";
    }

    /// <summary>The setting with the highest mean final accuracy over the learning rates tried (ties: the smaller lr), or null.</summary>
    public SettingSummary? BestLr(string attack, string aggregator, string optimizer) =>
        Settings.Where(s => s.Attack == attack && s.Aggregator == aggregator && s.Optimizer == optimizer)
            .OrderByDescending(s => s.Final.Mean).ThenBy(s => s.LearningRate).FirstOrDefault();

    /// <summary>True for the attack spec of an honest-only control (<c>none</c>), which the worst case leaves out.</summary>
    public static bool IsHonestOnly(string attack) => attack.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);

    /// <summary>The attacks of the grid other than the honest-only control.</summary>
    public IReadOnlyList<string> RealAttacks => Attacks.Where(a => !IsHonestOnly(a)).ToList();

    /// <summary>
    /// ByzFL's criterion for one (aggregator, optimizer): the lowest mean final accuracy over the attacks (at
    /// <see cref="ComparedAt"/>), the attack that reached it, and the number of attacks it covers; null when the
    /// aggregator ran against no attack.
    /// </summary>
    public (double Accuracy, string Attack, int Attacks)? WorstCase(string aggregator, string optimizer)
    {
        var rows = RealAttacks.Select(at => (at, s: Compared(at, aggregator, optimizer))).Where(x => x.s is not null).ToList();
        if (rows.Count == 0) return null;
        var w = rows.OrderBy(x => x.s!.Final.Mean).First();
        return (w.s!.Final.Mean, w.at, rows.Count);
    }

    /// <summary>Mean over seeds of the suspects' precision and recall for a combination (NaN where undefined).</summary>
    public (double Precision, double Recall)? Detection(string attack, string aggregator, string optimizer)
    {
        if (Compared(attack, aggregator, optimizer) is not { } s) return null;
        static double Mean(IEnumerable<double> v) { var a = v.Where(x => !double.IsNaN(x)).ToArray(); return a.Length == 0 ? double.NaN : a.Average(); }
        return (Mean(s.Runs.Select(r => r.SuspectPrecision)), Mean(s.Runs.Select(r => r.SuspectRecall)));
    }

    /// <summary>All learning rates tried for a combination, ascending.</summary>
    public IReadOnlyList<SettingSummary> ByLr(string attack, string aggregator, string optimizer) =>
        Settings.Where(s => s.Attack == attack && s.Aggregator == aggregator && s.Optimizer == optimizer).OrderBy(s => s.LearningRate).ToList();
}
