using System.CommandLine;
using AkkaByz.Cli;

namespace AkkaByz.Runtime.Tests.Cli;

public sealed class TrainCommandSpecs
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Quiet(Program.BuildRoot().Parse(["train", .. args])).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, string expected)
    {
        Assert.NotEqual(0, r.Code);
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
    [InlineData(new[] { "--deadline", "soon" }, "akkabyz.barrier.round-deadline")]
    [InlineData(new[] { "--lr", "-1" }, "akkabyz.optimizer.lr")]
    public void Bad_input_must_exit_non_zero_with_one_clear_line(string[] args, string expected) => AssertOneLineError(Run(args), expected);

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
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
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
