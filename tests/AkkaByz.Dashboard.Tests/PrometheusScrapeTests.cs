using System.Globalization;
using System.Text.RegularExpressions;

namespace AkkaByz.Dashboard.Tests;

/// <summary>
/// The Prometheus endpoint of a real `akkabyz train --metrics-port 0` run, scraped while the run progresses, against
/// the metrics.csv the same run wrote: every counter must equal the sum of its column over the rounds the scrape had
/// seen, the gauges the values of the last of those rounds.
/// </summary>
public sealed partial class PrometheusScrapeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkabyz-scrape-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)""")]
    private static partial Regex Line();

    [GeneratedRegex("""(?<k>[a-zA-Z_][a-zA-Z0-9_]*)="(?<v>[^"]*)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Label();

    internal static IReadOnlyList<Sample> Parse(string text) => text.Split('\n')
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => Line().Match(l))
        .Where(m => m.Success)
        .Select(m => new Sample(m.Groups["name"].Value,
            Label().Matches(m.Groups["labels"].Value).ToDictionary(x => x.Groups["k"].Value, x => x.Groups["v"].Value),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
        .ToArray();

    private static double One(IReadOnlyList<Sample> s, string name) =>
        s.Single(x => x.Name == name).Value;

    [Fact]
    public async Task The_scrape_during_a_run_matches_metrics_csv()
    {
        using var run = new CliProcess("train", "--rounds", "3000", "--eval-every", "50", "--fault", "2:nan@5", "--out", _dir, "--metrics-port", "0", "--quiet");
        var line = await run.WaitForLine("metrics: http://", TimeSpan.FromMinutes(2));
        Assert.True(line is not null, "no metrics URL printed:\n" + run.Transcript);
        var url = line!["metrics: ".Length..].Trim();
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        IReadOnlyList<Sample>? during = null;
        var scrapes = 0;
        while (!run.HasExited)
        {
            string text;
            try { text = await http.GetStringAsync(url); }
            catch (HttpRequestException) when (run.HasExited) { break; }
            scrapes++;
            var samples = Parse(text);
            // Keep the latest scrape taken while rounds were done but the run was not over.
            if (samples.Any(x => x.Name == "akkabyz_rounds_total") && One(samples, "akkabyz_rounds_total") is > 0 and < 3000 && !run.HasExited) during = samples;
            if (during is not null && One(during, "akkabyz_rounds_total") > 100) break;
            await Task.Delay(200);
        }
        Assert.True(during is not null, $"no scrape caught the run in progress ({scrapes} scrapes):\n" + run.Transcript);
        Assert.Equal(0, await run.WaitForExit(TimeSpan.FromMinutes(5)));

        var rows = File.ReadAllLines(Path.Combine(_dir, "metrics.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        var rounds = rows.Where(r => long.Parse(r[0], CultureInfo.InvariantCulture) > 0 && r[8].Length > 0).ToArray();
        Assert.Equal(3000, rounds.Length);
        static double Col(string[] r, int i) => r[i].Length == 0 ? double.NaN : double.Parse(r[i], CultureInfo.InvariantCulture);

        var k = (int)One(during!, "akkabyz_rounds_total");
        // Instruments are collected one after the other while the run goes on: each must match a prefix of the rounds
        // within a few rounds of the counter's.
        int PrefixMatching(Func<string[], double> column, double value)
        {
            double sum = 0;
            for (var i = 0; i < rounds.Length; i++)
            {
                sum += column(rounds[i]);
                if (Math.Abs(sum - value) < 1e-6 && i + 1 >= k - 3 && i + 1 <= k + 3) return i + 1;
            }
            return -1;
        }
        Assert.Equal(k, (int)One(during!, "akkabyz_round_duration_milliseconds_count"));
        Assert.InRange(One(during!, "akkabyz_round"), k - 3, k + 3);
        Assert.NotEqual(-1, PrefixMatching(r => Col(r, 4), One(during!, "akkabyz_updates_accepted_total")));
        Assert.NotEqual(-1, PrefixMatching(r => Col(r, 6), One(during!, "akkabyz_suspects_total")));
        var trimmed = during!.Where(x => x.Name == "akkabyz_worker_trimmed_total").ToArray();
        Assert.NotEmpty(trimmed);
        Assert.All(trimmed, t => Assert.InRange(int.Parse(t.Labels["worker"], CultureInfo.InvariantCulture), 0, 16));
        Assert.NotEqual(-1, PrefixMatching(r => Col(r, 6), trimmed.Sum(t => t.Value)));
        // The NaN link of worker 2 from round 5: one non-finite rejection per round, by reason.
        var rejected = during!.Where(x => x.Name == "akkabyz_updates_rejected_total").ToArray();
        Assert.Equal("non-finite", Assert.Single(rejected).Labels["reason"]);
        Assert.NotEqual(-1, PrefixMatching(r => Col(r, 5), rejected[0].Value));
        // Round time: the sum of the CSV's round_ms (3 decimals each) over the same rounds.
        var roundMs = rounds.Take(k).Sum(r => Col(r, 8));
        Assert.InRange(One(during!, "akkabyz_round_duration_milliseconds_sum"), roundMs - 0.001 * k, roundMs + 0.001 * k);
        // The accuracy gauge is the last evaluation at or before those rounds (the CSV has 4 decimals).
        var accuracy = One(during!, "akkabyz_test_accuracy");
        var evaluated = rows.Where(r => r[3].Length > 0 && long.Parse(r[0], CultureInfo.InvariantCulture) <= k + 3).Select(r => Col(r, 3)).ToArray();
        Assert.Contains(evaluated.TakeLast(2), a => Math.Abs(a - accuracy) <= 0.00005);
    }
}
