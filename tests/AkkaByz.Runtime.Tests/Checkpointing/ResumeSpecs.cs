using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>A checkpoint belongs to its run: a finished one never blocks a new run, an interrupted one is continued only when asked, with the run's own settings.</summary>
public sealed class ResumeSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Checkpoint Sample(bool completed, long round = 10)
    {
        var server = OptimizerFactory.CreateServer(new OptimizerOptions(), [1f, 2f]);
        return new Checkpoint(round, 50, server.Query.ToArray(), server.GetState(), ["akkabyz.rounds = 50"], completed);
    }

    private string RunFolder(string name, Checkpoint? checkpoint)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "metrics.csv", "summary.json", "cluster.json" }) File.WriteAllText(Path.Combine(dir, f), "old");
        if (checkpoint is not null) new CheckpointStore(Path.Combine(dir, RunOutput.CheckpointFolder)).Save(checkpoint);
        return dir;
    }

    [Fact]
    public void An_output_folder_with_a_completed_runs_checkpoint_is_cleared_and_one_with_an_interrupted_run_is_refused()
    {
        var done = RunFolder("done", Sample(completed: true));
        Directory.CreateDirectory(Path.Combine(done, RunOutput.LogsFolder));
        RunOutput.Prepare(done);
        Assert.Equal([RunOutput.LogsFolder], Directory.GetFileSystemEntries(done).Select(Path.GetFileName)); // the node logs stay

        var interrupted = RunFolder("interrupted", Sample(completed: false));
        var e = Assert.Throws<SettingsException>(() => RunOutput.Prepare(interrupted));
        Assert.Contains("holds an interrupted cluster run (checkpoint of round 10 of 50)", e.Message);
        Assert.Contains($"--resume {interrupted}", e.Message);
        Assert.True(File.Exists(Path.Combine(interrupted, "metrics.csv"))); // nothing deleted
    }

    [Fact]
    public void Resuming_refuses_a_setting_that_differs_from_the_runs_naming_the_key_but_lets_output_and_data_path_differ()
    {
        string[] run = ["akkabyz { workers = 3, byzantine = 1, attack = alie, seed = 7, barrier.round-deadline = 2s }", "akkabyz.output.dir = \"/a\""];
        RunResumption.CheckSettings(run, run, "ckpt");
        RunResumption.CheckSettings([], run, "ckpt"); // a standby that sets nothing takes the run's settings
        RunResumption.CheckSettings(["akkabyz { workers = 3, barrier.round-deadline = 2000ms }", "akkabyz.output.dir = \"/b\"", "akkabyz.data.source = \"idx:/elsewhere\""], run, "ckpt");

        var e = Assert.Throws<SettingsException>(() => RunResumption.CheckSettings(["akkabyz { workers = 3 }", "akkabyz.byzantine = 2"], run, "/x/aggregator.ckpt"));
        Assert.StartsWith("akkabyz.byzantine = 2 here, but the run being resumed has 1 (checkpoint /x/aggregator.ckpt)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var seed = Assert.Throws<SettingsException>(() => RunResumption.CheckSettings(["akkabyz.seed = 8"], run, "c"));
        Assert.StartsWith("akkabyz.seed = 8 here", seed.Message);
    }

    [Fact]
    public void The_history_of_a_resumed_run_keeps_each_round_up_to_the_checkpoint_once()
    {
        var csv = Path.Combine(_dir, "metrics.csv");
        static string Row(long r) => new MetricsRow(r, 0.5, double.NaN, double.NaN, 3, 0, 1, 0.1, 2, r * 0.1).ToCsv();
        File.WriteAllLines(csv, [MetricsRow.CsvHeader, Row(0), Row(1), Row(2), Row(2), Row(3), Row(4), Row(5), "6,0.4,,,3"]); // a repeat, later rounds, a torn line
        var rows = RunResumption.History(csv, throughRound: 4).ToArray();
        Assert.Equal([0L, 1, 2, 3, 4], rows.Select(r => r.Round));
        Assert.Equal(Row(3), rows[3].ToCsv()); // read back exactly as written
        Assert.Empty(RunResumption.History(Path.Combine(_dir, "missing.csv"), 4));
    }

    [Fact]
    public void Resume_before_joining_refuses_a_missing_or_completed_run_naming_it()
    {
        var node = ClusterNodeSettings.Create(ClusterConfig.Reference.WithFallback(AkkaByzConfig.Reference));
        var missing = Assert.Throws<SettingsException>(() => RunResumption.CheckBeforeJoining(node with { Resume = Path.Combine(_dir, "nothing") }, []));
        Assert.Contains("no checkpoint there", missing.Message);
        var done = RunFolder("done", Sample(completed: true));
        Assert.Contains("that run is complete", Assert.Throws<SettingsException>(() => RunResumption.CheckBeforeJoining(node with { Resume = done }, [])).Message);
        var open = RunFolder("open", Sample(completed: false));
        Assert.Equal(10, RunResumption.CheckBeforeJoining(node with { Resume = open }, []).Round);
        Assert.Equal(10, RunResumption.CheckBeforeJoining(node with { Resume = Path.Combine(open, RunOutput.CheckpointFolder) }, []).Round); // the checkpoint folder itself
    }

    [Fact]
    public void A_stop_for_too_few_valid_updates_says_what_to_change_and_names_an_omniscient_attack()
    {
        var settings = AkkaByzSettings.Create(AkkaByzConfig.Reference); // 17 workers, f = 8, ALIE
        var reason = RunAdvice.Explain(settings, omniscientAttack: true, "stopped at round 1: 16 valid updates cannot tolerate f = 8 (need more than 2f = 16)");
        Assert.Contains("with m = 17 at most 0 may be missing or late", reason);
        Assert.Contains($"attack '{settings.Attack}' is omniscient", reason);
        Assert.Contains("barrier.tap-timeout", reason);
        Assert.Contains("Lower f (--byzantine)", reason);
        Assert.DoesNotContain('\n', reason);
        Assert.Equal("completed 5 rounds", RunAdvice.Explain(settings, true, "completed 5 rounds"));
    }
}
