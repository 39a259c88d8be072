using System.Globalization;
using System.Text;
using AkkaByz.Core.Aggregation;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>One problem size of the cost table.</summary>
public sealed record AggregationCostSize(int M, int F, int D);

/// <summary>
/// The aggregation-cost table of the experiments: time per aggregation of every meta-aggregator (none, bucketing,
/// NNM, CTMA, NNM+CTMA) over every baseline, at several sizes — by default the paper's (m = 17, f = 8, d = 29,034,
/// the CNN) and d = 10^6 with m ∈ {17, 65} (f = ⌊(m − 1)/2⌋, the largest the bound allows). Each size is one run of
/// <see cref="AggregationBenchmark"/> over the whole rule list (same inputs, warm-up, medians, extra cost of a
/// meta-rule over its inner rule measured interleaved).
/// </summary>
public static class AggregationCostTable
{
    /// <summary>Every baseline (non-meta) rule of the rule catalog, in its order: a rule added to the catalog is in the table.</summary>
    public static IReadOnlyList<string> Baselines => [.. RuleRegistry.Describe().Where(r => !r.IsMeta).Select(r => r.Name)];
    public static readonly IReadOnlyList<string> Metas = ["none", "bucketing", "nnm", "ctma", "nnm+ctma"];

    public static readonly IReadOnlyList<AggregationCostSize> DefaultSizes =
    [
        new(17, 8, 29_034),
        new(17, 8, 1_000_000),
        new(65, 32, 1_000_000),
    ];

    /// <summary>The spec of meta over baseline (<c>none</c> = the baseline alone).</summary>
    public static string Spec(string meta, string baseline) => meta == "none" ? baseline : $"{meta}({baseline})";

    public static IReadOnlyList<AggregationBenchmarkResult> Run(IReadOnlyList<AggregationCostSize> sizes, IReadOnlyList<string> baselines,
        int repeat, int warmup, int bandwidthMb, TextWriter? progress)
    {
        var rules = baselines.SelectMany(b => Metas.Select(m => Spec(m, b))).ToList();
        var results = new List<AggregationBenchmarkResult>();
        foreach (var size in sizes)
        {
            progress?.WriteLine(FormattableString.Invariant($"m = {size.M}, f = {size.F}, d = {size.D:N0}:"));
            results.Add(AggregationBenchmark.Run(new AggregationBenchmarkOptions(size.M, size.F, size.D, rules, repeat, warmup, bandwidthMb), progress));
            GC.Collect();
        }
        return results;
    }

    /// <summary>Markdown: per size, baselines as rows and meta-aggregators as columns; "ms (+extra over the baseline)".</summary>
    public static string Format(IReadOnlyList<AggregationBenchmarkResult> results, IReadOnlyList<string> baselines)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var r in results)
        {
            sb.AppendLine(string.Format(inv, "### m = {0}, f = {1}, d = {2:N0} ({3:F1} MB of input)", r.M, r.F, r.D, (double)r.M * r.D * 4 / 1e6));
            sb.AppendLine();
            sb.AppendLine(string.Format(inv,
                "Median wall time of one aggregation, ms, after {0} warm-up call(s), {1} timed; for a meta-rule, in parentheses, the median " +
                "extra time over its baseline measured call by call. {2} cores; memory-read bandwidth {3:F1} GB/s (one pass over the input = {4:F2} ms).",
                r.Warmup, r.Repeat, r.Cores, r.BandwidthGBps, r.OnePassMs));
            sb.AppendLine();
            sb.AppendLine("| baseline | " + string.Join(" | ", Metas) + " |");
            sb.AppendLine("|---|" + string.Concat(Metas.Select(_ => "---:|")));
            var notes = new List<string>();
            foreach (var b in baselines)
            {
                var cells = new List<string>();
                foreach (var meta in Metas)
                {
                    var spec = Spec(meta, b);
                    var row = r.Rows.FirstOrDefault(x => x.Rule == spec || x.Rule == Core.Aggregation.AggregatorSpec.Parse(spec).ToString());
                    if (row is null || double.IsNaN(row.Ms)) { cells.Add("–"); if (row?.Note is { } n) notes.Add($"{spec}: cannot be built ({n})"); continue; }
                    var text = row.Ms.ToString(row.Ms < 10 ? "F2" : "F1", inv);
                    if (meta != "none" && row.ExtraMs is { } e) text += " (" + (Math.Abs(e) < 10 ? Math.Round(e, 2).ToString("+0.00;-0.00;0.00", inv) : Math.Round(e, 1).ToString("+0.0;-0.0;0.0", inv)) + ")";
                    if (row.F != r.F)
                    {
                        text += "*";
                        var note = $"{b} row: built with f = {row.F} ({(row.Note ?? "").Split(": ").Last().Trim()})";
                        if (!notes.Contains(note)) notes.Add(note);
                    }
                    cells.Add(text);
                }
                sb.AppendLine($"| {b} | " + string.Join(" | ", cells) + " |");
            }
            if (notes.Count > 0)
            {
                sb.AppendLine();
                foreach (var n in notes) sb.AppendLine($"\\* {n}");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
