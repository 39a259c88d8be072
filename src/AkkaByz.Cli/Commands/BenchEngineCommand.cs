using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Benchmarks;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench engine</c>: the batched-gradient prototype (<see cref="AkkaByz.Torch.Models.BatchedMnistCnn"/>) against one
/// call per gradient for a round of the cnn-mnist setup (2 gradients per honest worker), in rounds per second.
/// </summary>
public static class BenchEngineCommand
{
    public static Command Create()
    {
        var command = new Command("engine", "A round's cnn-mnist gradients: one call each vs one batched call (grouped convolutions) over all workers.");
        var workers = new Option<string>("--workers") { Description = "Comma-separated worker counts m (honest = m − ⌊(m−1)/2⌋).", DefaultValueFactory = _ => "17,65" };
        var batches = new Option<string>("--batches") { Description = "Comma-separated minibatch sizes.", DefaultValueFactory = _ => "4,16" };
        var seconds = new Option<double>("--seconds") { Description = "Minimum timed seconds per configuration.", DefaultValueFactory = _ => 2 };
        foreach (var o in new Option[] { workers, batches, seconds }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            static int[] Ints(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"bench engine: cnn-mnist, 2 gradients per honest worker, {Environment.ProcessorCount} cores; rounds/s of the gradient calls only");
            output.WriteLine("| m | honest | batch | gradients | one call each (rounds/s) | batched, a call per core | batched, one call × all torch threads | best speed-up | max rel. diff |");
            output.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var m in Ints(parse.GetValue(workers)!))
            foreach (var b in Ints(parse.GetValue(batches)!))
            {
                var honest = m - (m - 1) / 2;
                var r = EngineBenchmark.Measure(honest, b, TimeSpan.FromSeconds(parse.GetValue(seconds)));
                static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
                var best = Math.Max(r.BatchedTwoThreadsRoundsPerSecond, r.BatchedOneCallRoundsPerSecond) / r.PerWorkerRoundsPerSecond;
                output.WriteLine($"| {m} | {honest} | {b} | {r.Jobs} | {F(r.PerWorkerRoundsPerSecond, "0.0")} | {F(r.BatchedTwoThreadsRoundsPerSecond, "0.0")} | {F(r.BatchedOneCallRoundsPerSecond, "0.0")} | {F(best, "0.00")}× | {F(r.MaxRelativeDifference, "0.0e0")} |");
            }
            return 0;
        });
        return command;
    }
}
