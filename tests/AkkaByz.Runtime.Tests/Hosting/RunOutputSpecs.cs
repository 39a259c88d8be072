using System.Text.Json;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;

namespace AkkaByz.Runtime.Tests.Hosting;

/// <summary>Where a run writes, what it leaves behind, and what an interrupted or very long run does.</summary>
public sealed class RunOutputSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly LocalTrainingOptions Options = new() { AkkaConfig = TestConfig.SerializeEverything };

    private const string Base = "akkabyz { workers = 5, byzantine = 1, attack = none, rounds = 20, eval-interval = 5, batch-size = 4, barrier.round-deadline = 20s }";

    [Fact]
    public void A_file_or_a_foreign_non_empty_folder_is_refused_as_output_and_an_old_run_is_cleared()
    {
        var file = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(file, "mine");
        Assert.Contains("is a file, not a folder", Assert.Throws<SettingsException>(() => RunOutput.Prepare(file)).Message);

        var foreign = Path.Combine(_dir, "photos");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "cat.jpg"), "x");
        var e = Assert.Throws<SettingsException>(() => RunOutput.Prepare(foreign));
        Assert.Contains("not an AkkaByz run folder (it holds 'cat.jpg')", e.Message);
        Assert.True(File.Exists(Path.Combine(foreign, "cat.jpg")));

        var old = Path.Combine(_dir, "old-run");
        Directory.CreateDirectory(old);
        foreach (var f in new[] { "metrics.csv", "summary.json", "chart.png" }) File.WriteAllText(Path.Combine(old, f), "old");
        RunOutput.Prepare(old);
        Assert.Empty(Directory.GetFileSystemEntries(old)); // no stale chart.png beside a run that writes none
    }

    [Fact]
    public async Task A_run_writes_parameters_bin_like_a_cluster_run()
    {
        var dir = Path.Combine(_dir, "run");
        var result = await LocalTraining.RunAsync(LocalTrainingSpecs.Fakes(Base), Options with { OutputDirectory = dir });
        Assert.True(result.Run.Completed, result.Run.Reason);
        Assert.Equal(result.FinalParameters, ParameterFile.Read(Path.Combine(dir, "parameters.bin")));
    }

    [Fact]
    public async Task Cancelling_a_run_ends_it_after_its_last_completed_round_and_still_writes_its_outputs()
    {
        // 287,000 rounds: the run's safety timeout once overflowed Task.Delay's limit and the run failed at start.
        var dir = Path.Combine(_dir, "interrupted");
        using var cancel = new CancellationTokenSource();
        var result = await LocalTraining.RunAsync(LocalTrainingSpecs.Fakes(Base.Replace("rounds = 20", "rounds = 287000")),
            Options with { OutputDirectory = dir, OnRow = r => { if (r.Round >= 30) cancel.Cancel(); } }, cancel.Token);

        Assert.False(result.Run.Completed);
        Assert.True(result.Rounds >= 30, $"{result.Rounds} rounds");
        Assert.Equal($"interrupted after round {result.Rounds}", result.Run.Reason);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;
        Assert.False(summary.GetProperty("completed").GetBoolean());
        Assert.Equal(result.Rounds, summary.GetProperty("rounds_run").GetInt64());
        Assert.True(File.Exists(Path.Combine(dir, "chart.png")));
        Assert.True(File.Exists(Path.Combine(dir, "parameters.bin")));
        var csvRounds = File.ReadLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => long.Parse(l.Split(',')[0])).ToArray();
        Assert.Equal(result.Rounds, csvRounds.Max());
    }

    [Fact]
    public async Task A_long_run_keeps_a_bounded_series_in_memory_while_metrics_csv_has_every_row()
    {
        var dir = Path.Combine(_dir, "long");
        var result = await LocalTraining.RunAsync(LocalTrainingSpecs.Fakes(Base.Replace("rounds = 20", "rounds = 3000").Replace("eval-interval = 5", "eval-interval = 500")),
            Options with { OutputDirectory = dir, MetricsSeriesCapacity = 256 });
        Assert.True(result.Run.Completed, result.Run.Reason);
        Assert.InRange(result.Rows.Count, 128, 2 * 256 + 2);
        Assert.Equal(3000, result.Rows[^1].Round);
        Assert.Equal(7, result.Rows.Count(r => r.Evaluated)); // round 0 and every 500th
        Assert.Equal(3001, File.ReadLines(Path.Combine(dir, "metrics.csv")).Count() - 1);
    }

    [Theory]
    [InlineData(300L)]
    [InlineData(286_000L)]
    [InlineData(287_000L)]
    [InlineData(long.MaxValue / 2)]
    public void The_run_timeout_never_exceeds_what_Task_Delay_accepts(long rounds)
    {
        var t = LocalTraining.RunTimeout(AkkaByzSettings.Default.Barrier, rounds);
        Assert.InRange(t, TimeSpan.FromMinutes(1), LocalTraining.MaxTimeout);
        using var delay = new CancellationTokenSource();
        delay.Cancel();
        _ = Task.Delay(t, delay.Token); // throws ArgumentOutOfRangeException ("delay") beyond the limit
    }
}
