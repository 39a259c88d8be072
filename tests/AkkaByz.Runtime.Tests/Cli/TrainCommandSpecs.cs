using System.CommandLine;
using AkkaByz.Cli;

namespace AkkaByz.Runtime.Tests.Cli;

public sealed class TrainCommandSpecs
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Akkabyz(["train", .. args]);

    private static (int Code, string Out, string Err) Akkabyz(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, string expected)
    {
        Assert.True(r.Code == 2, $"exit {r.Code}, expected 2 (usage error): {r.Err}");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
    }

    [Theory]
    [InlineData(new[] { "--workers", "abc" }, "--workers")]
    [InlineData(new[] { "--bogus" }, "--bogus")]
    [InlineData(new[] { "--workers", "10", "--byzantine", "5" }, "f < m/2")]
    [InlineData(new[] { "--config", "/nonexistent/run.conf" }, "does not exist")]
    [InlineData(new[] { "--data", "idx:/nonexistent/mnist" }, "akkabyz.data.source")]
    [InlineData(new[] { "--aggregator", "ctma(" }, "akkabyz.aggregator")]
    [InlineData(new[] { "--attack", "teleport" }, "akkabyz.attack")]
    [InlineData(new[] { "--model", "transformer" }, "akkabyz.model")]
    [InlineData(new[] { "--crash", "3-10" }, "akkabyz.faults.crash")]
    [InlineData(new[] { "--fault", "2:garble" }, "akkabyz.faults.messages")]
    [InlineData(new[] { "--deadline", "soon" }, "--deadline: 'soon' is not a duration")]
    [InlineData(new[] { "--lr", "-1" }, "akkabyz.optimizer.lr")]
    public void Bad_input_must_exit_non_zero_with_one_clear_line(string[] args, string expected) => AssertOneLineError(Run(args), expected);

    [Theory]
    [InlineData(new[] { "--bogus" }, "akkabyz train: unknown option '--bogus'; see akkabyz train --help.")]
    [InlineData(new[] { "--rouns", "5" }, "akkabyz train: unknown option '--rouns' (did you mean '--rounds'?)")]
    [InlineData(new[] { "--no-chrat" }, "(did you mean '--no-chart'?)")]
    [InlineData(new[] { "--lr", "abc" }, "akkabyz train: --lr: 'abc' is not a number.")]
    [InlineData(new[] { "--rounds", "1.5" }, "akkabyz train: --rounds: '1.5' is not a whole number.")]
    [InlineData(new[] { "--deadline", "5" }, "akkabyz train: --deadline: '5' has no unit; write e.g. 5ms, 5s or 5m.")]
    [InlineData(new[] { "--deadline", "-1s" }, "akkabyz train: --deadline: '-1s' is negative.")]
    [InlineData(new[] { "--straggler", "2:300" }, "the delay '300' has no unit")]
    [InlineData(new[] { "--aggregator", "cwtn" }, "unknown rule 'cwtn' (valid: mean, cwmed, cwtm, geomed, krum, multikrum,")] // every rule, from the catalog (PluginSpecs)
    [InlineData(new[] { "--aggregator", "cwtn" }, ") (did you mean 'cwtm'?); spec syntax and every rule: docs/aggregators.md.")]
    [InlineData(new[] { "--model", "cnn-mnist", "--rounds", "1" }, "needs images of at least 4×4 pixels")]
    [InlineData(new[] { "extra" }, "akkabyz train: unexpected argument 'extra'")]
    [InlineData(new[] { "--attack", "alei" }, "unknown attack 'alei' (valid: none, sf, lf, ipm, alie")]
    [InlineData(new[] { "--attack", "alei" }, "(did you mean 'alie'?)")]
    [InlineData(new[] { "--partition", "dirichlet(x)" }, "parameter 'alpha' of 'dirichlet' needs a number, got 'x'")]
    [InlineData(new[] { "--partition", "gamma(g=2)" }, "parameter 'g' of 'gamma' must be a number in [0, 1], got 2")]
    [InlineData(new[] { "--attack", "minmax(dir=up)" }, "parameter 'dir' of 'minmax' must be one of unit, std, sign, got 'up'")]
    [InlineData(new[] { "--attack", "optipm(evals=0)" }, "parameter 'evals' of 'optipm' must be an integer in [1, 10000], got 0")]
    public void Usage_errors_must_exit_2_with_one_line_a_suggestion_when_close_and_no_dotnet_wording(string[] args, string expected)
    {
        var r = Run(args);
        AssertOneLineError(r, expected);
        Assert.DoesNotContain("System.", r.Err);
        Assert.DoesNotContain("(Parameter", r.Err);
        Assert.DoesNotContain("not in a correct format", r.Err);
        Assert.True(r.Err.Trim().Length < 300, $"{r.Err.Trim().Length} characters: {r.Err}");
    }

    [Theory]
    [InlineData(new[] { "trian" }, "akkabyz: unknown command 'trian' (did you mean 'train'?); commands: train, bench, node, experiment, certs, rules, attacks.")]
    [InlineData(new[] { "bench", "aggregatrs" }, "akkabyz bench: unknown command 'aggregatrs' (did you mean 'aggregators'?)")]
    [InlineData(new[] { "experiment" }, "akkabyz experiment: missing the GRID argument")]
    [InlineData(new[] { "experiment", "--bogus", "x.conf" }, "akkabyz experiment: unknown option '--bogus'")]
    [InlineData(new[] { "node", "--role", "aggregator", "--prot", "4053" }, "akkabyz node: unknown option '--prot' (did you mean '--port'?)")]
    [InlineData(new string[0], "akkabyz: which command? train, bench, node, experiment")]
    public void Every_command_must_report_usage_errors_the_same_way(string[] args, string expected) => AssertOneLineError(Akkabyz(args), expected);

    [Fact]
    public void Akkas_log_must_reach_stderr_as_one_readable_line_per_event_at_the_chosen_level()
    {
        // The local actor system is built by Akka.Hosting; Akka's log goes through Microsoft.Extensions.Logging.
        var dirs = new[] { 0, 1 }.Select(_ => Path.Combine(Path.GetTempPath(), "akkabyz-cli-" + Guid.NewGuid().ToString("N"))).ToArray();
        try
        {
            // Akka's log is asynchronous: the crash at round 2 of 40 is logged long before the run ends.
            var (code, _, error) = Run("-m", "5", "-f", "1", "--attack", "none", "--rounds", "40", "--crash", "1@2", "--out", dirs[0], "--no-chart", "--quiet");
            Assert.True(code == 0, error);
            Assert.Contains("warning: worker-1: Worker worker-1 crashes at round 2 (fault injection).", error);
            Assert.DoesNotContain("[WARNING]", error);

            (code, _, error) = Run("-m", "5", "-f", "1", "--attack", "none", "--rounds", "40", "--crash", "1@2", "--out", dirs[1], "--no-chart", "--quiet", "--log-level", "error");
            Assert.True(code == 0, error);
            Assert.DoesNotContain("crashes at round 2", error);
        }
        finally
        {
            foreach (var dir in dirs) if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Train_must_run_from_flags_and_write_its_outputs()
    {
        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output, error) = Run("-m", "7", "-f", "2", "--attack", "sf", "--rounds", "30", "--eval-every", "10",
                "--crash", "1@5", "--fault", "2:nan", "--out", dir, "--no-chart");
            Assert.True(code == 0, error);
            Assert.Contains("m = 7, f = 2, attack = sf", output);
            Assert.Contains("faults: crash 1@5; message faults 2:nan", output);
            Assert.Contains("round 30/30", output);
            Assert.Contains("final test accuracy", output);
            Assert.Matches("non-finite (29|30)", output); // the last round's copy may land after the run ended
            Assert.True(File.Exists(Path.Combine(dir, "metrics.csv")));
            Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
            Assert.False(File.Exists(Path.Combine(dir, "chart.png")));
            Assert.True(File.Exists(Path.Combine(dir, "parameters.bin")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Out_onto_a_file_must_be_a_one_line_error_not_a_stack_trace()
    {
        var file = Path.GetTempFileName();
        try
        {
            AssertOneLineError(Run("--rounds", "2", "--out", file), "is a file, not a folder");
            AssertOneLineError(Akkabyz("experiment", FindRepoFile("hocon/experiments/smoke.conf"), "--dry-run", "--out", file), "is a file, not a folder");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string FindRepoFile(string relative)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, relative))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir!, relative);
    }

    [Fact]
    public void Flags_must_override_the_config_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-cli-" + Guid.NewGuid().ToString("N"));
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "akkabyz { workers = 5, byzantine = 1, attack = none, rounds = 500 }");
            var (code, output, error) = Run("--config", file, "--rounds", "5", "--out", dir, "-q");
            Assert.True(code == 0, error);
            var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;
            Assert.Equal(5, summary.GetProperty("config").GetProperty("workers").GetInt32());
            Assert.Equal(5, summary.GetProperty("rounds_run").GetInt64());
            Assert.DoesNotContain("round 5/5", output); // quiet: summary only
            Assert.Contains("done: 5 rounds", output);
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
