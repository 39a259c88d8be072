using System.CommandLine;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Core.Aggregation;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench aggregators</c>: times each aggregation rule (median after warm-up) and prints ms, input GB/s,
/// passes-equivalent and the ratio to this machine's memory-read bandwidth, which it measures first.
/// </summary>
public static class BenchAggregatorsCommand
{
    public static Command Create()
    {
        var m = new Option<int>("--m") { Description = "Number of input vectors (workers).", DefaultValueFactory = _ => 17 };
        var f = new Option<int>("--f") { Description = "Byzantine inputs tolerated (rules whose bound forbids it run with the largest allowed f, marked *).", DefaultValueFactory = _ => 8 };
        var d = new Option<int>("--d") { Description = "Dimension of each vector.", DefaultValueFactory = _ => 1_000_000 };
        var rules = new Option<string>("--rules")
        {
            Description = "Comma-separated aggregator specs. Valid rules:" + Environment.NewLine +
                          string.Join(Environment.NewLine, AggregatorSpec.RuleUsages.Select(u => "  " + u)),
            DefaultValueFactory = _ => string.Join(",", AggregationBenchmarkOptions.DefaultRules),
        };
        var repeat = new Option<int>("--repeat") { Description = "Timed calls per rule (the median is reported).", DefaultValueFactory = _ => 7 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed calls per rule first.", DefaultValueFactory = _ => 2 };
        var bwMb = new Option<int>("--bandwidth-mb") { Description = "Size of the large array (MB) whose read bandwidth is reported for context (main memory when larger than the last-level cache); passes and ratios use an array of the input's size.", DefaultValueFactory = _ => 512 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON instead of a table." };
        var save = new Option<string?>("--save-outputs")
        {
            Description = "Directory to write the input (input.f32: m rows of d float32, little-endian) and each rule's output of its last call (SPEC.f32) to, for comparing with another implementation on the same bytes (bench/peer/byzfl_aggregators.py --compare).",
        };

        var cmd = new Command("aggregators", "Time each aggregation rule against this machine's memory-read bandwidth.");
        foreach (var o in new Option[] { m, f, d, rules, repeat, warmup, bwMb, json, save }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var specs = SplitSpecs(parse.GetValue(rules) ?? "");
            try
            {
                foreach (var s in specs) AggregatorSpec.Parse(s);
            }
            catch (AggregatorSpecException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            var options = new AggregationBenchmarkOptions(parse.GetValue(m), parse.GetValue(f), parse.GetValue(d), specs,
                Math.Max(1, parse.GetValue(repeat)), Math.Max(0, parse.GetValue(warmup)), Math.Max(16, parse.GetValue(bwMb)), SaveOutputs: parse.GetValue(save));
            bool asJson = parse.GetValue(json);
            var result = AggregationBenchmark.Run(options, asJson ? null : Console.Out);
            Console.WriteLine(asJson ? AggregationBenchmark.ToJson(result) : Environment.NewLine + AggregationBenchmark.FormatTable(result));
            return 0;
        });
        return cmd;
    }

    /// <summary>Splits on top-level commas only (specs contain commas inside parentheses).</summary>
    internal static List<string> SplitSpecs(string text)
    {
        var list = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ',' && depth == 0))
            {
                var s = text[start..i].Trim();
                if (s.Length > 0) list.Add(s);
                start = i + 1;
            }
            else if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
        }
        return list;
    }
}
