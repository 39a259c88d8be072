using System.Diagnostics;
using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;

namespace AkkaByz.Runtime.Tests.Cli;

/// <summary>
/// The extension seam end to end: samples/CustomRule (a rule written outside AkkaByz.Core, its own csproj) is built,
/// then `akkabyz train --plugin CustomRule.dll --aggregator "ctma(phocas)"` runs as a child process (so the
/// registration does not leak into this test process's catalog), and the docs tables are checked against the catalogs.
/// </summary>
public sealed class PluginSpecs
{
    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "AkkaByz.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static string Configuration => AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    private static (int Code, string Out, string Err) Dotnet(string workDir, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 5 minutes.");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void A_rule_written_outside_core_is_loaded_with_plugin_and_trains_under_ctma()
    {
        var root = RepoRoot();
        var build = Dotnet(root, "build", Path.Combine(root, "samples", "CustomRule", "CustomRule.csproj"), "-c", Configuration, "-nologo", "-v", "quiet");
        Assert.True(build.Code == 0, $"building samples/CustomRule failed: {build.Out}{build.Err}");
        var plugin = Path.Combine(root, "samples", "CustomRule", "bin", Configuration, "net10.0", "linux-x64", "CustomRule.dll");
        Assert.True(File.Exists(plugin), plugin);
        var cli = Path.Combine(root, "src", "AkkaByz.Cli", "bin", Configuration, "net10.0", "linux-x64", "akkabyz.dll");
        var work = Path.Combine(Path.GetTempPath(), "akkabyz-plugin-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var run = Dotnet(work, cli, "train", "--plugin", plugin, "--aggregator", "ctma(phocas)", "--workers", "9", "--byzantine", "4",
                "--attack", "alie", "--rounds", "40", "--out", Path.Combine(work, "run"), "--no-chart", "-q");
            Assert.True(run.Code == 0, $"exit {run.Code}: {run.Out}{run.Err}");
            Assert.Contains("final test accuracy", run.Out);
            var summary = File.ReadAllText(Path.Combine(work, "run", "summary.json"));
            Assert.Contains("ctma(phocas)", summary);
            var accuracy = double.Parse(run.Out.Split("final test accuracy ")[1].Split('%')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(accuracy > 50, $"ctma(phocas) under ALIE reached {accuracy} % (chance is 10 %)");

            var list = Dotnet(work, cli, "rules", "--plugin", plugin);
            Assert.Contains("phocas(b=f)", list.Out);
            var bad = Dotnet(work, cli, "train", "--plugin", plugin, "--aggregator", "phocas(b=-1)", "--rounds", "1");
            Assert.Equal(2, bad.Code);
            Assert.Contains("parameter 'b' of 'phocas' must be an integer ≥ 0", bad.Err);
            var without = Dotnet(work, cli, "train", "--aggregator", "phocas", "--rounds", "1");
            Assert.Equal(2, without.Code);
            Assert.Contains("unknown rule 'phocas'", without.Err);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void A_missing_or_foreign_plugin_is_one_clear_line_and_exit_2()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, AkkaByz.Cli.Program.Run(["train", "--plugin", "/nonexistent/X.dll"], new System.CommandLine.InvocationConfiguration { Output = output, Error = error }));
        Assert.Equal("akkabyz train: --plugin /nonexistent/X.dll: no such file.", error.ToString().Trim());
        var notDll = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notDll, "not an assembly");
            error = new StringWriter();
            Assert.Equal(2, AkkaByz.Cli.Program.Run(["train", "--plugin", notDll], new System.CommandLine.InvocationConfiguration { Output = output, Error = error }));
            Assert.Contains("not a loadable .NET assembly", error.ToString());
        }
        finally
        {
            File.Delete(notDll);
        }
    }

    /// <summary>The first column of the first markdown table after <paramref name="heading"/>: each spec's name.</summary>
    private static List<string> TableNames(string file, string heading, string header)
    {
        var lines = File.ReadAllLines(file);
        var at = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        Assert.True(at >= 0, $"{file}: no '{heading}'");
        var h = Array.FindIndex(lines, at, l => l.StartsWith(header, StringComparison.Ordinal));
        Assert.True(h >= 0, $"{file}: no table '{header}' after '{heading}'");
        var names = new List<string>();
        for (var i = h + 2; i < lines.Length && lines[i].StartsWith('|'); i++)
        {
            var cell = lines[i].Split('|')[1].Trim();
            foreach (var spec in cell.Split(',', StringSplitOptions.TrimEntries)) // `nan`, `inf` share a row
                names.Add(spec.Trim('`').Split('(')[0]);
        }
        return names;
    }

    [Fact]
    public void The_docs_tables_list_exactly_the_catalogs()
    {
        var root = RepoRoot();
        Assert.Equal(RuleRegistry.Names, TableNames(Path.Combine(root, "docs", "aggregators.md"), "## The spec language", "| spec |"));
        Assert.Equal(AttackRegistry.Names, TableNames(Path.Combine(root, "docs", "learning.md"), "## Attacks", "| spec |"));
    }

    [Fact]
    public void Rules_and_attacks_print_the_catalogs_as_markdown()
    {
        var output = new StringWriter();
        Assert.Equal(0, AkkaByz.Cli.Program.Run(["attacks", "--markdown"], new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter() }));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("| spec | usage | sends | omniscient |", lines[0].Trim());
        Assert.Equal(AttackRegistry.Names.Count, lines.Length - 2);
        Assert.Contains(lines, l => l.StartsWith("| `optipm` | `optipm(evals=20,start=0,delta=10,ratio=0.8)` |", StringComparison.Ordinal));
        output = new StringWriter();
        Assert.Equal(0, AkkaByz.Cli.Program.Run(["rules"], new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter() }));
        Assert.Equal(RuleRegistry.Names.Count, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
