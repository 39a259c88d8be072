using System.CommandLine;
using AkkaByz.Cli.Benchmarks;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench aggregation-cost</c>: the experiments' cost table — every meta-aggregator (none, bucketing, NNM,
/// CTMA, NNM+CTMA) over every baseline, at the paper's size and at d = 10^6 with m ∈ {17, 65}; Markdown.
/// </summary>
public static class BenchAggregationCostCommand
{
    public static Command Create()
    {
        var sizes = new Option<string>("--sizes")
        {
            Description = "Semicolon-separated sizes m,f,d (default: 17,8,29034;17,8,1000000;65,32,1000000).",
        };
        var baselines = new Option<string>("--baselines") { Description = "Comma-separated baselines (default: " + string.Join(",", AggregationCostTable.Baselines) + ")." };
        var repeat = new Option<int>("--repeat") { Description = "Timed calls per rule (median reported).", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed calls per rule first.", DefaultValueFactory = _ => 1 };
        var bwMb = new Option<int>("--bandwidth-mb") { Description = "Array size (MB) for the memory-read bandwidth.", DefaultValueFactory = _ => 256 };
        var cmd = new Command("aggregation-cost", "Time every meta-aggregator over every baseline (the experiments' cost table, Markdown).");
        foreach (var o in new Option[] { sizes, baselines, repeat, warmup, bwMb }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            IReadOnlyList<AggregationCostSize> list;
            IReadOnlyList<string> rules;
            try
            {
                list = parse.GetValue(sizes) is { Length: > 0 } text ? ParseSizes(text) : AggregationCostTable.DefaultSizes;
                rules = parse.GetValue(baselines) is { Length: > 0 } b
                    ? b.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    : AggregationCostTable.Baselines;
                foreach (var r in rules) Core.Aggregation.AggregatorSpec.Parse(r);
            }
            catch (Exception e) when (e is FormatException or Core.Aggregation.AggregatorSpecException)
            {
                Console.Error.WriteLine($"akkabyz bench aggregation-cost: {e.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
            var results = AggregationCostTable.Run(list, rules, Math.Max(1, parse.GetValue(repeat)), Math.Max(0, parse.GetValue(warmup)),
                Math.Max(16, parse.GetValue(bwMb)), Console.Out);
            Console.WriteLine();
            Console.WriteLine(AggregationCostTable.Format(results, rules));
            return 0;
        });
        return cmd;
    }

    /// <summary>"17,8,29034;65,32,1000000" → sizes.</summary>
    internal static IReadOnlyList<AggregationCostSize> ParseSizes(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
        {
            var p = s.Split(',', StringSplitOptions.TrimEntries);
            if (p.Length != 3 || !int.TryParse(p[0], out var m) || !int.TryParse(p[1], out var f) || !int.TryParse(p[2], out var d) || m < 1 || f < 0 || d < 1)
                throw new FormatException($"--sizes: '{s}' is not m,f,d with m ≥ 1, f ≥ 0, d ≥ 1 (e.g. 17,8,29034).");
            return new AggregationCostSize(m, f, d);
        }).ToList();
}
