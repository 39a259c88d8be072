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
        Settings = results
            .GroupBy(r => (r.Attack, Label: Label(r), r.Optimizer, r.LearningRate))
            .Select(g => new SettingSummary(g.Key.Attack, g.Key.Label, g.Key.Optimizer, g.Key.LearningRate,
                MeanStd.Of(g.Select(r => r.FinalAccuracy)), MeanStd.Of(g.Select(r => r.BestAccuracy)), g.OrderBy(r => r.Seed).ToList()))
            .ToList();
        Attacks = results.Select(r => r.Attack).Distinct().ToList();
        Aggregators = results.Select(Label).Distinct().ToList();
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

    /// <summary>The aggregator spec plus the values of non-standard axes.</summary>
    public static string Label(CellResult r)
    {
        var extra = r.Values.Where(v => GridSpec.KnownAxes.All(k => k.Name != v.Axis)).Select(v => $"{v.Axis}={v.Value}").ToList();
        return extra.Count == 0 ? r.Aggregator : $"{r.Aggregator} [{string.Join(", ", extra)}]";
    }

    /// <summary>The setting with the highest mean final accuracy over the learning rates tried (ties: the smaller lr), or null.</summary>
    public SettingSummary? BestLr(string attack, string aggregator, string optimizer) =>
        Settings.Where(s => s.Attack == attack && s.Aggregator == aggregator && s.Optimizer == optimizer)
            .OrderByDescending(s => s.Final.Mean).ThenBy(s => s.LearningRate).FirstOrDefault();

    /// <summary>All learning rates tried for a combination, ascending.</summary>
    public IReadOnlyList<SettingSummary> ByLr(string attack, string aggregator, string optimizer) =>
        Settings.Where(s => s.Attack == attack && s.Aggregator == aggregator && s.Optimizer == optimizer).OrderBy(s => s.LearningRate).ToList();
}
