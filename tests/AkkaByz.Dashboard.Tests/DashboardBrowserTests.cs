using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json;
using AkkaByz.Runtime.Metrics;
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
        await page.WaitFor("document.getElementById('connection').textContent", v => v == "live", "the event stream");
        await page.WaitFor("document.getElementById('title').textContent", v => v.StartsWith("logreg on synthetic: m = 17, f = 8, attack = sf", StringComparison.Ordinal), "the run's title");
        var r1 = Round(await page.WaitFor("document.getElementById('round').textContent", v => v.Contains(" / ", StringComparison.Ordinal), "the round tile"));
        // The same page, no reload: the round advances as the run's events arrive.
        var r2 = Round(await page.WaitFor("document.getElementById('round').textContent", v => v.Contains(" / ", StringComparison.Ordinal) && Round(v) > r1, "the round tile advancing"));
        log.WriteLine($"round shown: {r1}, then {r2}");
        Assert.False(run.HasExited, "the run ended: it should still be running\n" + run.Transcript);
        // The rejection panel names the NaN link's reason; the heat map's legend gives the detection figures; the charts drew.
        await page.WaitFor("document.getElementById('rejected-table').textContent", v => v.Contains("non-finite", StringComparison.Ordinal), "the rejection table");
        await page.WaitFor("document.getElementById('heat-legend').textContent", v => v.Contains("detection: precision", StringComparison.Ordinal), "the heat map legend");
        // Accuracy, loss, rejections, and one chart per chart group of the column list.
        var groups = MetricsColumn.All.Where(c => c.DashboardKey is not null && c.Chart is not null).Select(c => c.Chart).Distinct().Count();
        await page.WaitFor("String(document.querySelectorAll('.uplot').length)", v => v == (3 + groups).ToString(CultureInfo.InvariantCulture), "the charts");
        await page.WaitFor("document.getElementById('acc').textContent", v => v.EndsWith('%'), "the accuracy tile");

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

    /// <summary>
    /// The page draws whatever the column list says: a dashboard server in this process, its state given
    /// <see cref="MetricsColumn.All"/> and one more definition (<see cref="MetricsColumnDefinitionTests.Added"/>, a key,
    /// label, format and chart group app.js has never seen), fed rows; the page lists every served column with its
    /// latest value in the column's format (the CSV's cell), draws the new group's chart, and follows a new row.
    /// </summary>
    [ChromiumFact]
    public async Task A_column_added_to_the_definitions_appears_on_the_page_without_editing_app_js()
    {
        IReadOnlyList<MetricsColumn> columns = [.. MetricsColumn.All, MetricsColumnDefinitionTests.Added];
        var state = new DashboardState("train", columns: columns);
        state.RunStarted(new RunDescription("logreg", "synthetic", "sf", "ctma(cwtm)", "mu2", 5, 2, 100, 10, [3, 4]));
        static MetricsRow RowOf(long round, int received) =>
            new(round, 0.5, 0.25, 0.875, received, 2, 8, 1.5, 12.5, 3.0 + round, 7) { SuspectWorkers = [3, 4] };
        for (var r = 1; r <= 30; r++) state.Row(RowOf(r, 17));
        await using var server = await DashboardServer.StartAsync(state, "127.0.0.1", 0, warnings: null);
        var served = await MetricsColumnDefinitionTests.ServedColumns(state);
        Assert.Equal(columns.Select(c => c.Name), served.Select(e => e.GetProperty("name").GetString()));

        await using var page = await DevToolsPage.StartAsync(1400, 1800);
        await page.Navigate(server.Url);
        const string Table = "JSON.stringify([...document.querySelectorAll('#columns-table tr[data-column]')].map(t => [t.dataset.column, t.cells[0].textContent, t.cells[1].textContent]))";
        string[][] Shown(string json) => JsonSerializer.Deserialize<string[][]>(json)!;
        var last = RowOf(30, 17);
        var shown = Shown(await page.WaitFor(Table, v => v.Contains("discarded_share", StringComparison.Ordinal), "the column table"));
        Assert.Equal(columns.Select(c => c.Name), shown.Select(t => t[0])); // every served column, in order
        Assert.Equal(columns.Select(c => c.Label), shown.Select(t => t[1]));
        Assert.Equal(columns.Select(c => c.Csv(last)), shown.Select(t => t[2])); // the latest row, in each column's format
        Assert.Equal("0.471", shown[^1][2]);

        // The new definition's chart group is drawn, its series named by the label.
        var legend = await page.WaitFor("(document.querySelector('[data-chart-group=\"added for the spec\"] .u-legend') || {}).textContent || ''",
            v => v.Length > 0, "the added group's chart");
        Assert.Contains("discarded share", legend, StringComparison.Ordinal);

        // A new row reaches the open page (a delta): the table follows it.
        state.Row(RowOf(31, 16));
        shown = Shown(await page.WaitFor(Table, v => Shown(v)[0][2] == "31", "the table after a new row"));
        Assert.Equal("0.500", shown[^1][2]);
        Assert.Equal("16", shown[columns.ToList().FindIndex(c => c.Name == "received")][2]);
    }
}
