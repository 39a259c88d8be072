using System.CommandLine;
using AkkaByz.Cli;

namespace AkkaByz.Runtime.Tests.Cli;

/// <summary>
/// <c>akkabyz bench transport</c>: the modes take turns within each round of --repeat, every run is printed with MB/s
/// and vectors/s, and the summary compares each further mode with the first one, run by run. (What it prints is
/// checked for shape only: no timing goals here.)
/// </summary>
public sealed class BenchTransportCommandSpecs
{
    private static (int Code, string Out, string Err) Bench(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(["bench", "transport", .. args], new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static string[] Cells(string row) => row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();

    [Fact]
    public void The_modes_alternate_run_by_run_and_the_summary_compares_them_with_the_first_run_by_run()
    {
        var (code, output, error) = Bench("--sizes", "5000", "--modes", "akka,akka-chunked", "--megabytes", "1", "--repeat", "2");

        Assert.True(code == 0, error);
        var rows = output.Split('\n').Where(l => l.StartsWith("| 5,000 |", StringComparison.Ordinal)).Select(Cells).ToList();
        // Per run: floats, MB/vector, run, mode, MB/s, vectors/s, socket, ratio; in the order the modes take turns.
        var runs = rows.Where(r => r.Length == 8).ToList();
        Assert.Equal(["1 akka (one message)", "1 akka-chunked", "2 akka (one message)", "2 akka-chunked"], runs.Select(r => $"{r[2]} {r[3]}"));
        foreach (var r in runs)
        {
            var mbs = double.Parse(r[4], System.Globalization.CultureInfo.InvariantCulture);
            var vectors = double.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(vectors > 0, string.Join(" | ", r));
            // vectors/s = MB/s · 10^6 / (4 · 5000) = 50 · MB/s, the MB/s printed rounded to a whole number.
            Assert.InRange(vectors, (mbs - 0.5) * 50 - 0.05, (mbs + 0.5) * 50 + 0.05);
        }
        // Summary: one row per mode (runs listed), then the second mode against the first, per run.
        var summary = rows.Where(r => r.Length == 7).ToList();
        Assert.Equal(["akka (one message)", "akka-chunked", "akka-chunked / akka (one message)"], summary.Select(r => r[1]));
        Assert.Equal(2, summary[0][6].Split(',').Length);
        Assert.StartsWith("per run: ", summary[2][6]);
        Assert.Equal(2, summary[2][6].Split(',').Length);
    }

    [Fact]
    public void An_unknown_mode_is_one_clear_error()
    {
        var (code, _, error) = Bench("--modes", "akka,streamrefs");
        Assert.Equal(2, code);
        Assert.Contains("--modes: 'streamrefs' is not a mode (tcp, akka-chunked, akka, mtls)", error);
    }

    [Fact]
    public void The_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones()
    {
        Assert.Equal(3, AkkaByz.Cli.Commands.BenchTransportCommand.Median([5, 1, 3]));
        Assert.Equal(2.5, AkkaByz.Cli.Commands.BenchTransportCommand.Median([4, 1, 3, 2]));
    }
}
