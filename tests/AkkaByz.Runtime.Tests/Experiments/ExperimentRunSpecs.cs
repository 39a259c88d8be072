using System.CommandLine;
using AkkaByz.Cli;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Experiments;

namespace AkkaByz.Runtime.Tests.Experiments;

/// <summary>Runs hocon/experiments/smoke.conf once (16 short runs on the synthetic task) for the specs below.</summary>
public sealed class SmokeGridFixture : IDisposable
{
    public SmokeGridFixture()
    {
        Grid = GridSpec.Load(GridSpecs.RepoFile("hocon/experiments/smoke.conf"));
        Cells = GridExpansion.Expand(Grid);
        Directory = Path.Combine(Path.GetTempPath(), "akkabyz-smoke-" + Guid.NewGuid().ToString("N"));
        Store = new ResultsStore(Directory);
        Outcome = Experiment.RunAsync(Grid, Cells, Store, new ExperimentOptions { Parallel = 2 }, TextWriter.Null).GetAwaiter().GetResult();
    }

    public GridSpec Grid { get; }
    public IReadOnlyList<GridCell> Cells { get; }
    public string Directory { get; }
    public ResultsStore Store { get; }
    public ExperimentOutcome Outcome { get; }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, true);
    }
}

public sealed class ExperimentRunSpecs(SmokeGridFixture smoke) : IClassFixture<SmokeGridFixture>
{
    private static string CopyOf(string source)
    {
        var target = Path.Combine(Path.GetTempPath(), "akkabyz-smoke-copy-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    [Fact]
    public void The_smoke_grid_must_run_every_cell_and_store_a_result_per_cell()
    {
        Assert.Empty(smoke.Outcome.Failures);
        Assert.Equal(16, smoke.Outcome.Ran);
        Assert.Equal(16, smoke.Outcome.Results.Count);
        Assert.All(smoke.Cells, c =>
        {
            var r = smoke.Store.TryLoad(c);
            Assert.NotNull(r);
            Assert.True(r.Completed, r.Reason);
            Assert.Equal(40, r.Rounds);
            Assert.InRange(r.FinalAccuracy, 0.5, 1.0); // 40 rounds of the synthetic task learn something under both attacks
            Assert.True(r.BestAccuracy >= r.FinalAccuracy);
            Assert.Equal([0L, 10, 20, 30, 40], r.Curve.Select(p => p.Round));
            Assert.True(File.Exists(Path.Combine(smoke.Store.CellDirectory(c.Id), "metrics.csv")));
        });
    }

    [Fact]
    public async Task A_cell_scores_its_suspects_against_the_true_Byzantine_slots()
    {
        // Sign flipping at m = 9, f = 4: CTMA's trimmed inputs are almost all the flipped ones; cwtm names no suspects.
        var grid = GridSpec.Parse("akkabyz { data.source = synthetic, model = logreg, workers = 9, byzantine = 4, rounds = 20 }\n" +
                                  "experiment { axes { attack = [sf], aggregator = [\"ctma(cwtm)\", cwtm] } }", "tally");
        var cells = GridExpansion.Expand(grid);
        var store = new ResultsStore(Path.Combine(Path.GetTempPath(), "akkabyz-tally-" + Guid.NewGuid().ToString("N")));
        try
        {
            var ctma = await ExperimentRunner.RunCellAsync(cells[0], store, false, "ERROR", CancellationToken.None);
            Assert.Equal(20 * 4, ctma.Suspects); // CTMA trims f per round
            Assert.InRange(ctma.SuspectPrecision, 0.9, 1.0);
            Assert.InRange(ctma.SuspectRecall, 0.9, 1.0);
            Assert.Equal(ctma.SuspectPrecision, ctma.SuspectRecall); // as many suspects as Byzantine inputs each round
            var cwtm = await ExperimentRunner.RunCellAsync(cells[1], store, false, "ERROR", CancellationToken.None);
            Assert.True(double.IsNaN(cwtm.SuspectPrecision));
            Assert.Equal(0, cwtm.SuspectRecall);
            Assert.Equal(ctma.SuspectPrecision, CellResult.FromJson(ctma.ToJson()).SuspectPrecision);
        }
        finally
        {
            if (Directory.Exists(store.Directory)) Directory.Delete(store.Directory, true);
        }
    }

    [Fact]
    public async Task An_interrupted_cell_must_not_be_stored_as_a_result()
    {
        var store = new ResultsStore(Path.Combine(Path.GetTempPath(), "akkabyz-interrupted-" + Guid.NewGuid().ToString("N")));
        try
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel(); // a local run ends early on cancellation but returns; the cell must not count as finished
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ExperimentRunner.RunCellAsync(smoke.Cells[0], store, false, "ERROR", cancelled.Token));
            Assert.Null(store.TryLoad(smoke.Cells[0]));
        }
        finally
        {
            if (Directory.Exists(store.Directory)) Directory.Delete(store.Directory, true);
        }
    }

    [Fact]
    public void Results_csv_must_have_one_parsable_row_per_cell()
    {
        var lines = File.ReadAllLines(smoke.Store.ResultsCsv);
        var header = lines[0].Split(',');
        Assert.Equal(["id", "attack", "aggregator", "optimizer", "lr", "seed"], header[..6]);
        foreach (var column in new[] { "final_accuracy", "best_accuracy", "final_loss", "rounds", "wall_seconds", "rejected", "suspects" })
            Assert.Contains(column, header);
        Assert.Equal(smoke.Cells.Count, lines.Length - 1);
        var ids = new HashSet<string>();
        var finalCol = Array.IndexOf(header, "final_accuracy");
        foreach (var line in lines.Skip(1))
        {
            var fields = Split(line);
            Assert.Equal(header.Length, fields.Count);
            ids.Add(fields[0]);
            var acc = double.Parse(fields[finalCol], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(acc, 0, 1);
        }
        Assert.Equal(smoke.Cells.Select(c => c.Id).ToHashSet(), ids);
        // A spec with a comma is quoted.
        Assert.Equal("\"bucketing(s=2,cwtm)\"", ResultsStore.Csv("bucketing(s=2,cwtm)"));
    }

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var ch in line)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(ch);
        }
        fields.Add(current.ToString());
        return fields;
    }

    [Fact]
    public void Summary_and_figures_must_be_written()
    {
        var md = File.ReadAllText(smoke.Store.SummaryMarkdown);
        Assert.Contains("# Experiment `smoke`", md);
        Assert.Contains("| attack | aggregator | optimizer | final accuracy | best accuracy | seeds | best lr: final accuracy |", md);
        Assert.Contains("| sf | `ctma(cwtm)` | mu2 |", md);
        Assert.Contains("aggregator × attack — momentum, lr 0.1", md); // both rates everywhere: the smaller one is the common rate
        Assert.Contains("against the learning rate", md);
        Assert.Contains("Cells: 16 of 16 finished", md);
        var expected = new[] { "curves-sf.png", "curves-alie.png", "heatmap-mu2.png", "heatmap-momentum.png", "lr-cwtm.png", "lr-ctma-cwtm.png" };
        foreach (var name in expected)
        {
            var path = Path.Combine(smoke.Store.FiguresDirectory, name);
            Assert.True(File.Exists(path), name);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 2000, $"{name}: {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
            Assert.Contains($"](figures/{name})", md);
        }
    }

    [Fact]
    public async Task A_rerun_with_resume_must_run_only_the_cells_without_a_result()
    {
        var dir = CopyOf(smoke.Directory);
        try
        {
            var store = new ResultsStore(dir);
            var victim = smoke.Cells[5];
            Directory.Delete(store.CellDirectory(victim.Id), true);
            var started = new List<string>();
            var outcome = await Experiment.RunAsync(smoke.Grid, smoke.Cells, store, new ExperimentOptions
            {
                Parallel = 2,
                Resume = true,
                OnEvent = e => { if (e.Kind == ExperimentEventKind.Started) lock (started) started.Add(e.Cell.Id); },
            }, TextWriter.Null);
            Assert.Equal([victim.Id], started);
            Assert.Equal((1, 15, 16), (outcome.Ran, outcome.Skipped, outcome.Results.Count));
            // Same config and seed: the rerun reproduces the deleted result exactly.
            Assert.Equal(smoke.Store.TryLoad(victim)!.FinalAccuracy, store.TryLoad(victim)!.FinalAccuracy);
            Assert.Equal(17, File.ReadAllLines(store.ResultsCsv).Length);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Rerun_stopped_must_rerun_only_the_cells_whose_run_stopped_early()
    {
        var dir = CopyOf(smoke.Directory);
        try
        {
            var store = new ResultsStore(dir);
            var victim = smoke.Cells[3];
            store.Save(store.TryLoad(victim)! with { Completed = false, Reason = "stopped at round 5 (test)" });
            var plain = await ExperimentRunner.RunAsync(smoke.Cells, store, false, new ExperimentOptions { Resume = true });
            Assert.Equal(0, plain.Ran); // a stopped run is a result
            var rerun = await ExperimentRunner.RunAsync(smoke.Cells, store, false, new ExperimentOptions { Resume = true, RerunStopped = true });
            Assert.Equal(1, rerun.Ran);
            Assert.True(store.TryLoad(victim)!.Completed);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task A_folder_with_results_must_be_refused_without_resume_and_a_changed_base_must_rerun()
    {
        var dir = CopyOf(smoke.Directory);
        try
        {
            var store = new ResultsStore(dir);
            var e = await Assert.ThrowsAsync<SettingsException>(() => ExperimentRunner.RunAsync(smoke.Cells, store, false, new ExperimentOptions()));
            Assert.Contains("--resume", e.Message);

            // The same cell ids over another base (fewer rounds): fingerprints differ, so everything runs again.
            var other = GridSpec.Parse(File.ReadAllText(GridSpecs.RepoFile("hocon/experiments/smoke.conf")).Replace("rounds = 40", "rounds = 5", StringComparison.Ordinal), "smoke");
            var cells = GridExpansion.Expand(other).Take(2).ToList();
            Assert.Equal(smoke.Cells.Take(2).Select(c => c.Id), cells.Select(c => c.Id));
            var outcome = await ExperimentRunner.RunAsync(cells, store, false, new ExperimentOptions { Resume = true });
            Assert.Equal(2, outcome.Ran);
            Assert.All(outcome.Results, r => Assert.Equal(5, r.Rounds));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void The_cli_must_list_cells_on_a_dry_run_and_report_bad_grids_in_one_line()
    {
        var (code, output, _) = Cli("experiment", GridSpecs.RepoFile("hocon/experiments/smoke.conf"), "--out", smoke.Directory, "--dry-run");
        Assert.Equal(0, code);
        Assert.Contains("16 cells", output);
        Assert.Contains("16 finished, 0 to run.", output);

        var bad = Path.Combine(Path.GetTempPath(), "akkabyz-bad-grid-" + Guid.NewGuid().ToString("N") + ".conf");
        File.WriteAllText(bad, "experiment { axes { atack = [sf] } }");
        try
        {
            var (badCode, _, error) = Cli("experiment", bad, "--dry-run");
            Assert.Equal(2, badCode);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("experiment.axes.atack", error);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
