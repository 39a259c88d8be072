using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli;

namespace AkkaByz.Runtime.Tests.Cli;

/// <summary>
/// <c>akkabyz bench runtime</c> on the CNN: the bound is measured before, between and after each repetition's two runs
/// (the last of one repetition is the first of the next), each run's fraction uses the two around it, and the actor
/// runtime's parameters equal the plain loop's. Shape and consistency only: no timing goals here.
/// </summary>
public sealed class BenchRuntimeCommandSpecs
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    private static string[] Cells(string row) => row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();

    private static double Number(string text) => double.Parse(text.TrimEnd('%', ' '), CultureInfo.InvariantCulture);

    [Fact]
    public void Each_run_is_held_against_the_bound_measured_just_before_and_just_after_it()
    {
        Assert.SkipUnless(File.Exists(Path.Combine(FashionMnist, "train-images-idx3-ubyte.gz")), "needs Debian's dataset-fashion-mnist (.ci/run installs it)");
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(["bench", "runtime", "--models", "cnn-mnist", "--cnn-rounds", "8", "--repeat", "2", "--bound-steps", "2", "--warmup-rounds", "2"],
            new InvocationConfiguration { Output = output, Error = error });

        Assert.True(code == 0, error.ToString());
        var lines = output.ToString().Split('\n');
        var bounds = lines.Where(l => l.StartsWith("(run ", StringComparison.Ordinal) && l.Contains(" between, ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, bounds.Count);
        Assert.Contains("the plain and actor runs", bounds[0]); // the order alternates
        Assert.Contains("the actor and plain runs", bounds[1]);
        // Repetition 2's "before" is repetition 1's "after": one measurement, printed twice.
        static string Between(string line, string from, string to)
        {
            var start = line.IndexOf(from, StringComparison.Ordinal) + from.Length;
            return line[start..line.IndexOf(to, start, StringComparison.Ordinal)];
        }
        var after1 = Number(Between(bounds[0], "between, ", " after"));
        var before2 = Number(Between(bounds[1], "bound ", " gradients/s before"));
        Assert.Equal(after1, before2);

        var runs = lines.Where(l => l.StartsWith("| cnn-mnist |", StringComparison.Ordinal)).Select(Cells).ToList();
        Assert.Equal(["1", "2", "median"], runs.Select(r => r[3]));
        foreach (var r in runs.Take(2))
        {
            Assert.Equal("yes", r[10]); // bit-identical to the plain loop
            // actor / bound = actor rounds/s ÷ the bound column (both printed rounded).
            var actor = Number(r[4]);
            var bound = Number(r[7]);
            Assert.InRange(Number(r[8]), 100 * (actor - 0.05) / (bound + 0.05) - 0.5, 100 * (actor + 0.05) / (bound - 0.05) + 0.5);
        }
    }
}
