using System.Globalization;
using System.Text;

namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// summary.md: the setup, then (1) final and best test accuracy, mean ± std over seeds, per attack × aggregator ×
/// optimizer at the learning rate common to all of them (and the best rate tried); (2) the same final accuracy as an aggregator × attack table per optimizer;
/// (3) the worst case over attacks per aggregator (ByzFL's criterion), ranked, with the best spec per attack; (4) the
/// suspects' precision and recall against the true Byzantine slots; (5) when learning rates were varied, final
/// accuracy per learning rate for each optimizer.
/// </summary>
public static class ExperimentReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(GridSpec grid, IReadOnlyList<GridCell> cells, IReadOnlyList<CellResult> results, IReadOnlyList<string>? figures = null)
    {
        var a = new ExperimentAnalysis(results);
        var sb = new StringBuilder();
        sb.AppendLine($"# Experiment `{grid.Name}`");
        sb.AppendLine();
        var first = cells.Count > 0 ? cells[0].Settings : null;
        if (first is not null)
        {
            sb.AppendLine(string.Create(Inv, $"Setup (base): model `{first.Model}` on `{first.Data.Source}` ({first.Data.Partition}{(first.Data.MaxTrain > 0 ? $", first {first.Data.MaxTrain} training examples" : "")}), " +
                $"m = {first.Workers} workers of which f = {first.Byzantine} Byzantine, batch {first.BatchSize} per worker, " +
                $"{(first.Rounds > 0 ? $"{first.Rounds} rounds" : $"{first.Epochs} epoch(s)")}, evaluation every {first.EvalInterval} rounds, clip {first.Optimizer.Clip}."));
            sb.AppendLine();
        }
        sb.AppendLine($"Axes: {string.Join("; ", grid.Axes.Select(x => $"{x.Name} ∈ {{{string.Join(", ", x.Values)}}}"))}" +
            (grid.Extras.Count > 0 ? $"; plus {grid.Extras.Count} extra sub-grid(s): " +
                string.Join("; ", grid.Extras.Select(e => string.Join(", ", e.Select(x => $"{x.Name} ∈ {{{string.Join(", ", x.Values)}}}")))) : "") + ".");
        sb.AppendLine();
        var wall = results.Sum(r => r.WallSeconds);
        sb.AppendLine(string.Create(Inv, $"Cells: {results.Count} of {cells.Count} finished; {results.Count(r => !r.Completed)} stopped early; sum of cell wall times {wall / 60:F1} min."));
        sb.AppendLine();
        if (results.Count == 0) return sb.ToString();

        sb.AppendLine($"## Final and best test accuracy (%), mean ± std over seeds, at {a.ComparedAt}");
        sb.AppendLine();
        sb.AppendLine("Best accuracy = the highest test accuracy at any evaluation of the run. The last column gives the learning rate with the " +
            "highest mean final accuracy among those tried for the combination, and that accuracy.");
        sb.AppendLine();
        sb.AppendLine("| attack | aggregator | optimizer | final accuracy | best accuracy | seeds | best lr: final accuracy |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---|");
        foreach (var attack in a.Attacks)
            foreach (var agg in a.Aggregators)
                foreach (var opt in a.Optimizers)
                    if (a.Compared(attack, agg, opt) is { } s && a.BestLr(attack, agg, opt) is { } best)
                        sb.AppendLine(string.Create(Inv, $"| {attack} | `{agg}` | {opt} | {s.Final.Percent()} | {s.Best.Percent()} | {s.Final.N} | {best.LearningRate:G4}: {best.Final.Percent()} |"));
        sb.AppendLine();

        foreach (var opt in a.Optimizers)
        {
            sb.AppendLine($"## Final test accuracy (%), aggregator × attack — {opt}, {a.ComparedAt}");
            sb.AppendLine();
            sb.AppendLine("| aggregator | " + string.Join(" | ", a.Attacks) + " |");
            sb.AppendLine("|---|" + string.Concat(a.Attacks.Select(_ => "---:|")));
            foreach (var agg in a.Aggregators)
                sb.AppendLine($"| `{agg}` | " + string.Join(" | ", a.Attacks.Select(at => a.Compared(at, agg, opt)?.Final.Percent() ?? "–")) + " |");
            sb.AppendLine();
        }

        if (a.RealAttacks.Count > 0)
            foreach (var opt in a.Optimizers)
            {
                var ranked = a.Aggregators.Select(agg => (agg, w: a.WorstCase(agg, opt))).Where(x => x.w is not null)
                    .OrderByDescending(x => x.w!.Value.Accuracy).ToList();
                if (ranked.Count == 0) continue;
                var honestAttack = a.Attacks.FirstOrDefault(ExperimentAnalysis.IsHonestOnly);
                // The honest-only reference: the best mean final accuracy among the `none` runs (e.g. the 9 honest workers alone).
                var honestRef = honestAttack is null ? null : a.Aggregators.Select(agg => a.Compared(honestAttack, agg, opt)).OfType<SettingSummary>()
                    .OrderByDescending(s => s.Final.Mean).FirstOrDefault();
                var honest = honestRef is null ? null : honestAttack;
                sb.AppendLine($"## Worst case over attacks (ByzFL's criterion) — {opt}, {a.ComparedAt}");
                sb.AppendLine();
                sb.AppendLine("The lowest mean final accuracy of each aggregator over the attacks it ran against (the honest-only `none` runs are left out), best first." +
                              (honestRef is null ? "" : string.Create(Inv, $" The last column is the honest-only reference (`{honestRef.Aggregator}` under `none`: {100 * honestRef.Final.Mean:F1} %) minus the worst case.")));
                sb.AppendLine();
                sb.AppendLine("| aggregator | worst-case accuracy | worst attack | attacks | mean over attacks |" + (honest is null ? "" : " gap to honest-only |"));
                sb.AppendLine("|---|---:|---|---:|---:|" + (honest is null ? "" : "---:|"));
                foreach (var (agg, w) in ranked)
                {
                    var mean = a.RealAttacks.Select(at => a.Compared(at, agg, opt)?.Final.Mean).OfType<double>().Average();
                    var gap = honestRef is { } h ? string.Create(Inv, $" {100 * (h.Final.Mean - w!.Value.Accuracy):F1} |") : "";
                    sb.AppendLine(string.Create(Inv, $"| `{agg}` | {100 * w!.Value.Accuracy:F1} | {w.Value.Attack} | {w.Value.Attacks} | {100 * mean:F1} |{gap}"));
                }
                sb.AppendLine();
                sb.AppendLine($"Best spec by worst case: `{ranked[0].agg}` ({(100 * ranked[0].w!.Value.Accuracy).ToString("F1", Inv)} %). Best spec per attack: " +
                    string.Join("; ", a.RealAttacks.Select(at => a.Aggregators.Select(agg => (agg, s: a.Compared(at, agg, opt))).Where(x => x.s is not null)
                        .OrderByDescending(x => x.s!.Final.Mean).Select(x => string.Create(Inv, $"{at}: `{x.agg}` ({100 * x.s!.Final.Mean:F1})")).FirstOrDefault() ?? $"{at}: –")) + ".");
                sb.AppendLine();
            }

        var detection = a.Attacks.SelectMany(at => a.Aggregators.SelectMany(agg => a.Optimizers.Select(o => a.Detection(at, agg, o))))
            .Any(d => d is { } v && (!double.IsNaN(v.Precision) || !double.IsNaN(v.Recall)));
        if (detection)
            foreach (var opt in a.Optimizers)
            {
                sb.AppendLine($"## Suspects against the true Byzantine slots: precision / recall (%) — {opt}, {a.ComparedAt}");
                sb.AppendLine();
                sb.AppendLine("Over all rounds of a run (mean over seeds): precision = Byzantine suspects / suspects, recall = Byzantine suspects / " +
                              "Byzantine inputs. Only the outermost selecting or trimming rule names suspects; – = undefined (no suspects, or no Byzantine input).");
                sb.AppendLine();
                sb.AppendLine("| aggregator | " + string.Join(" | ", a.Attacks) + " |");
                sb.AppendLine("|---|" + string.Concat(a.Attacks.Select(_ => "---:|")));
                static string Pct(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("0", CultureInfo.InvariantCulture);
                foreach (var agg in a.Aggregators)
                    sb.AppendLine($"| `{agg}` | " + string.Join(" | ", a.Attacks.Select(at => a.Detection(at, agg, opt) is { } d ? $"{Pct(d.Precision)} / {Pct(d.Recall)}" : "–")) + " |");
                sb.AppendLine();
            }

        var swept = a.Attacks.SelectMany(at => a.Aggregators.SelectMany(agg => a.Optimizers.Select(o => (at, agg, o))))
            .Where(k => a.ByLr(k.at, k.agg, k.o).Count > 1).ToList();
        if (swept.Count > 0)
        {
            sb.AppendLine("## Final test accuracy (%) against the learning rate");
            sb.AppendLine();
            sb.AppendLine("| attack | aggregator | optimizer | " + string.Join(" | ", a.LearningRates.Select(l => l.ToString("G4", Inv))) + " | spread (max − min) |");
            sb.AppendLine("|---|---|---|" + string.Concat(a.LearningRates.Select(_ => "---:|")) + "---:|");
            foreach (var (at, agg, o) in swept)
            {
                var byLr = a.ByLr(at, agg, o);
                var spread = 100 * (byLr.Max(s => s.Final.Mean) - byLr.Min(s => s.Final.Mean));
                sb.AppendLine($"| {at} | `{agg}` | {o} | " +
                    string.Join(" | ", a.LearningRates.Select(l => byLr.FirstOrDefault(s => s.LearningRate == l)?.Final.Percent() ?? "–")) +
                    string.Create(Inv, $" | {spread:F1} |"));
            }
            sb.AppendLine();
        }

        var stopped = results.Where(r => !r.Completed).ToList();
        if (stopped.Count > 0)
        {
            sb.AppendLine("## Runs that stopped early");
            sb.AppendLine();
            foreach (var r in stopped) sb.AppendLine($"- `{r.Id}`: {r.Reason}");
            sb.AppendLine();
        }
        if (figures is { Count: > 0 })
        {
            sb.AppendLine("## Figures");
            sb.AppendLine();
            foreach (var f in figures) sb.AppendLine($"![{Path.GetFileNameWithoutExtension(f)}]({f})");
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
