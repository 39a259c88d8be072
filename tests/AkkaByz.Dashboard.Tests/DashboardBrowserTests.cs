using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AkkaByz.Dashboard.Tests;

/// <summary>
/// `akkabyz train --dashboard 0` watched by a real headless chromium: the page loads from the program (no network),
/// shows the run, its round advances in the same open page while the run progresses (server-sent events, no reload),
/// the panels fill in, and a screenshot is written
/// (bin/.../dashboard.png; docs/figures/dashboard.png is one).
/// </summary>
public sealed partial class DashboardBrowserTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkabyz-dashboard-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex("""^(?<round>\d+) / (?<total>\d+)$""")]
    private static partial Regex RoundTile();

    private static long Round(string tile)
    {
        var m = RoundTile().Match(tile);
        Assert.True(m.Success, $"the round tile reads '{tile}'");
        return long.Parse(m.Groups["round"].Value, CultureInfo.InvariantCulture);
    }

    [ChromiumFact]
    public async Task The_page_loads_updates_while_the_run_progresses_and_is_screenshotted()
    {
        using var run = new CliProcess("train", "--rounds", "20000", "--eval-every", "250", "--attack", "sf", "--fault", "3:nan",
            "--out", _dir, "--dashboard", "0", "--quiet");
        var line = await run.WaitForLine("dashboard: http://", TimeSpan.FromMinutes(2));
        Assert.True(line is not null, "no dashboard URL printed:\n" + run.Transcript);
        var url = line!["dashboard: ".Length..].Trim();
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

        // Wait until rounds are coming (the run composes its data first).
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            for (var i = 0; i < 600 && !(await http.GetStringAsync(url + "state")).Contains("\"r\":2,", StringComparison.Ordinal); i++)
                await Task.Delay(100);
        }

        await using var page = await DevToolsPage.StartAsync(1400, 1450);
        await page.Navigate(url);
        async Task<string> WaitFor(string expression, Func<string, bool> done, string what)
        {
            var value = "";
            for (var i = 0; i < 300; i++)
            {
                value = await page.Evaluate(expression);
                if (done(value)) return value;
                await Task.Delay(100);
            }
            Assert.Fail($"{what}: still '{value}' after 30 s\n" + await page.Evaluate("document.body.innerText"));
            return value;
        }
        await WaitFor("document.getElementById('connection').textContent", v => v == "live", "the event stream");
        await WaitFor("document.getElementById('title').textContent", v => v.StartsWith("logreg on synthetic: m = 17, f = 8, attack = sf", StringComparison.Ordinal), "the run's title");
        var r1 = Round(await WaitFor("document.getElementById('round').textContent", v => v.Contains(" / ", StringComparison.Ordinal), "the round tile"));
        // The same page, no reload: the round advances as the run's events arrive.
        var r2 = Round(await WaitFor("document.getElementById('round').textContent", v => v.Contains(" / ", StringComparison.Ordinal) && Round(v) > r1, "the round tile advancing"));
        log.WriteLine($"round shown: {r1}, then {r2}");
        Assert.False(run.HasExited, "the run ended: it should still be running\n" + run.Transcript);
        // The rejection panel names the NaN link's reason; the heat map's legend gives the detection figures; the charts drew.
        await WaitFor("document.getElementById('rejected-table').textContent", v => v.Contains("non-finite", StringComparison.Ordinal), "the rejection table");
        await WaitFor("document.getElementById('heat-legend').textContent", v => v.Contains("detection: precision", StringComparison.Ordinal), "the heat map legend");
        Assert.Equal("3", await page.Evaluate("String(document.querySelectorAll('.uplot').length)"));
        await WaitFor("document.getElementById('acc').textContent", v => v.EndsWith('%'), "the accuracy tile");

        // A screenshot with a few evaluations on it (round 600 or later, or whatever the run reached in a minute).
        for (var i = 0; i < 600 && !run.HasExited && Round(await page.Evaluate("document.getElementById('round').textContent")) < 600; i++) await Task.Delay(100);
        var shot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
        var png = await page.Screenshot();
        await File.WriteAllBytesAsync(shot, png);
        Assert.True(png.Length > 20_000, $"screenshot of {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        log.WriteLine($"screenshot: {shot}");

        run.Interrupt(); // Ctrl-C: the run ends after its last round and writes its outputs
        Assert.NotNull(await run.WaitForExit(TimeSpan.FromMinutes(2)));
    }
}
