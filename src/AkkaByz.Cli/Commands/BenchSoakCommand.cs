using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench soak [--rounds N]</c>: one long local run of the default job (17 workers, 8 ALIE, ctma(cwtm),
/// µ²-SGD, synthetic task, metrics.csv written to a temporary folder) that samples the process's resident memory and
/// the managed heap (after a full collection) and the GC's committed memory at even intervals, then prints the least-squares slope of each in bytes
/// per round over the samples after the first tenth (warm-up). A flat run has a slope near 0; a per-round leak shows
/// as a steady positive slope (keeping every metrics row cost ~116 B per round).
/// </summary>
public static class BenchSoakCommand
{
    public static Command Create()
    {
        var command = new Command("soak", "Memory over a long local run: RSS and managed heap at intervals, and their slope in bytes per round.");
        var rounds = new Option<long>("--rounds") { Description = "Rounds of the run.", DefaultValueFactory = _ => 200_000 };
        var samples = new Option<int>("--samples") { Description = "Memory samples over the run.", DefaultValueFactory = _ => 20 };
        var capacity = new Option<int>("--series-capacity")
        {
            Description = $"Metrics rows kept in memory (default {MetricsSeries.DefaultCapacity}); a huge value keeps every row, as before the series was bounded.",
            DefaultValueFactory = _ => MetricsSeries.DefaultCapacity,
        };
        foreach (var o in new Option[] { rounds, samples, capacity }) command.Options.Add(o);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var n = parse.GetValue(rounds);
            var k = parse.GetValue(samples);
            if (n < 100) { error.WriteLine($"akkabyz bench soak: --rounds: must be at least 100, got {n}."); return 2; }
            if (k < 4) { error.WriteLine($"akkabyz bench soak: --samples: must be at least 4, got {k}."); return 2; }
            if (parse.GetValue(capacity) < 2) { error.WriteLine($"akkabyz bench soak: --series-capacity: must be at least 2, got {parse.GetValue(capacity)}."); return 2; }

            var settings = AkkaByzSettings.Default with { Rounds = n };
            var dir = Directory.CreateTempSubdirectory("akkabyz-soak-").FullName;
            var every = Math.Max(1, n / k);
            var points = new List<(long Round, double Rss, double Heap, double Committed)>();
            var process = Process.GetCurrentProcess();
            var clock = Stopwatch.StartNew();
            output.WriteLine($"bench soak: {n} rounds of the default job (m = {settings.Workers}, f = {settings.Byzantine}, {settings.Attack}, {settings.Aggregator}, " +
                             $"eval every {settings.EvalInterval}); metrics series capacity {parse.GetValue(capacity)}; memory every {every} rounds");
            output.WriteLine("| round | RSS (MiB) | managed heap after GC (MiB) | GC committed (MiB) | elapsed (s) |");
            output.WriteLine("|---:|---:|---:|---:|---:|");
            void Sample(long round)
            {
                var heap = GC.GetTotalMemory(forceFullCollection: true);
                process.Refresh();
                var rss = process.WorkingSet64;
                var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
                lock (points) points.Add((round, rss, heap, committed));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round} | {rss / 1048576.0:F1} | {heap / 1048576.0:F2} | {committed / 1048576.0:F1} | {clock.Elapsed.TotalSeconds:F0} |"));
            }
            try
            {
                var result = await LocalTraining.RunAsync(settings, new LocalTrainingOptions
                {
                    OutputDirectory = dir,
                    MetricsSeriesCapacity = parse.GetValue(capacity),
                    OnRow = row => { if (row.Round > 0 && row.Round % every == 0) Sample(row.Round); },
                }, cancellation).ConfigureAwait(false);
                var warm = points.Where(p => p.Round > n / 10).ToArray();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"slope over rounds {warm.First().Round}..{warm.Last().Round}: RSS {Slope(warm.Select(p => (p.Round, p.Rss))):+0.0;-0.0} B/round, " +
                    $"managed heap {Slope(warm.Select(p => (p.Round, p.Heap))):+0.00;-0.00} B/round, GC committed {Slope(warm.Select(p => (p.Round, p.Committed))):+0.0;-0.0} B/round; {result.Rounds} rounds at {result.RoundsPerSecond:F0} rounds/s" +
                    $"{(result.Run.Completed ? "" : $" (stopped: {result.Run.Reason})")}"));
                return result.Run.Completed ? 0 : 3;
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        });
        return command;
    }

    /// <summary>Least-squares slope of y over x.</summary>
    internal static double Slope(IEnumerable<(long X, double Y)> points)
    {
        var p = points.ToArray();
        if (p.Length < 2) return double.NaN;
        var mx = p.Average(q => (double)q.X);
        var my = p.Average(q => q.Y);
        var sxy = p.Sum(q => (q.X - mx) * (q.Y - my));
        var sxx = p.Sum(q => (q.X - mx) * (q.X - mx));
        return sxx > 0 ? sxy / sxx : double.NaN;
    }
}
