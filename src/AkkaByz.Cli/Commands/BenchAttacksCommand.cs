using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench attacks</c>: the per-round cost of crafting each omniscient attack (one craft serves every
/// Byzantine worker of the round), at several d, against one call of the run's rule on the same input, measured in
/// the same process (median of repeated calls after a warm-up). Opt-IPM and Opt-ALIE aggregate <c>evals</c> times per
/// craft, so their ratio to one aggregation shows what the search costs.
/// </summary>
public static class BenchAttacksCommand
{
    public static Command Create()
    {
        var dims = new Option<string>("--dims") { Description = "Comma-separated dimensions.", DefaultValueFactory = _ => "330,100000,1000000" };
        var rule = new Option<string>("--aggregator") { Description = "The server's rule the adaptive attacks search against.", DefaultValueFactory = _ => "ctma(cwtm)" };
        var m = new Option<int>("--workers", "-m") { Description = "m.", DefaultValueFactory = _ => 17 };
        var f = new Option<int>("--byzantine", "-f") { Description = "f.", DefaultValueFactory = _ => 8 };
        var repeat = new Option<int>("--repeat") { Description = "Timed calls per figure (median).", DefaultValueFactory = _ => 7 };
        var attacks = new Option<string>("--attacks") { Description = "Attack specs (';'-separated).", DefaultValueFactory = _ => "ipm;alie;minmax(dir=std);minsum(dir=std);optipm;optalie" };
        var command = new Command("attacks", "Per-round cost of the omniscient attacks (Opt-IPM/Opt-ALIE: evals aggregations) against one aggregation, at several d.");
        foreach (var o in new Option[] { dims, rule, m, f, repeat, attacks }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                int workers = parse.GetValue(m), byz = parse.GetValue(f), reps = Math.Max(1, parse.GetValue(repeat));
                var spec = AggregatorSpec.Parse(parse.GetValue(rule)!);
                var env = new AttackEnvironment((n, tol) => spec.Build(n, tol));
                var specs = parse.GetValue(attacks)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                output.WriteLine($"akkabyz bench attacks: m = {workers}, f = {byz}, rule {spec}, {Environment.ProcessorCount} cores, median of {reps}");
                output.WriteLine($"{"d",9} {"attack",-44} {"craft ms",10} {"aggregate ms",13} {"ratio",7}");
                foreach (var d in parse.GetValue(dims)!.Split(',').Select(s => int.Parse(s.Trim(), CultureInfo.InvariantCulture)))
                {
                    var rng = new Random(d);
                    var honest = Enumerable.Range(0, workers - byz).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1 + 0.1)).ToArray()).ToArray();
                    var aggregator = spec.Build(workers, byz);
                    var inputs = honest.Concat(Enumerable.Range(0, byz).Select(_ => honest[0])).ToArray();
                    var aggregate = new float[d];
                    var aggMs = Median(reps, () => aggregator.Aggregate(inputs, aggregate));
                    foreach (var a in specs)
                    {
                        var attack = AttackRegistry.Create(a, env);
                        var crafted = new float[d];
                        var context = new AttackContext(1, workers, byz, 0, ReadOnlyMemory<float>.Empty, honest, 0);
                        var ms = Median(reps, () => attack.Craft(context, crafted));
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{d,9} {attack.Name,-44} {ms,10:F3} {aggMs,13:F3} {ms / aggMs,7:F1}"));
                    }
                }
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                error.WriteLine($"akkabyz bench attacks: {e.Message.Split('\n')[0]}");
                return 2;
            }
        });
        return command;
    }

    private static double Median(int reps, Action action)
    {
        action(); // warm-up (buffers, JIT, the cached rule)
        action();
        var times = new double[reps];
        for (var i = 0; i < reps; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[reps / 2];
    }
}
