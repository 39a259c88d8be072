using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AkkaByz.Cluster.Tests;

/// <summary>
/// The watch flags on real nodes: an aggregator node with <c>--dashboard 0</c> serves the run's page whose state and
/// event stream carry the cluster's membership (aggregator and workers up) and the rounds; a worker node with
/// <c>--metrics-port 0</c> exports the membership gauges too. Over plain HTTP (the browser test is the train one).
/// </summary>
[Collection("cluster processes")]
public sealed partial class NodeWatchingTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterHarness _cluster = new(output);

    public void Dispose() => _cluster.Dispose();

    [GeneratedRegex("""(?<url>http://127\.0\.0\.1:\d+/\S*)""")]
    private static partial Regex Url();

    private static string UrlIn(string line) => Url().Match(line) is { Success: true } m ? m.Groups["url"].Value : throw new Xunit.Sdk.XunitException("no URL in: " + line);

    [Fact]
    public async Task The_aggregator_nodes_dashboard_shows_membership_and_rounds_and_a_worker_exports_the_membership_gauges()
    {
        // Paced (every worker holds its reply back 10 ms: about 4 s of rounds), so the run is still going while the checks
        // below read the aggregator's page and the worker's gauges: a finished run's nodes leave the cluster.
        var config = _cluster.WriteConfig("""rounds = 400, barrier.round-deadline = 10s, faults.stragglers = ["0:10ms", "1:10ms", "2:10ms"]""");
        var port = ClusterHarness.FreePort();
        var aggregator = _cluster.Start("aggregator", ["--role", "aggregator", "--config", config, .. ClusterHarness.Management(port),
            .. ClusterHarness.Discovery(port), "--out", _cluster.OutDir, "--dashboard", "0"]);
        var workers = Enumerable.Range(0, 3).Select(i => _cluster.Start($"worker {i}",
            ["--role", "worker", "--config", config, .. ClusterHarness.Management(0), .. ClusterHarness.Discovery(port),
                .. (i == 0 ? new[] { "--metrics-port", "0" } : [])])).ToArray();

        var dashboardLine = await aggregator.WaitForLine(l => l.Contains("] dashboard: http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.True(dashboardLine is not null, "the aggregator printed no dashboard URL");
        Assert.Matches(@"^\[\d\d:\d\d:\d\d\.\d\d\d\] dashboard: http://127\.0\.0\.1:", dashboardLine); // the node's line format
        var page = UrlIn(dashboardLine!);
        var metricsLine = await workers[0].WaitForLine(l => l.Contains("] metrics: http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.True(metricsLine is not null, "the worker printed no metrics URL");
        var scrape = UrlIn(metricsLine!);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var html = await http.GetStringAsync(page);
        Assert.Contains("<title>", html, StringComparison.Ordinal);

        // Poll the state until the run is going with every member up (or the node has exited).
        JsonElement? going = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !aggregator.HasExited)
        {
            string json;
            try { json = await http.GetStringAsync(page + "state"); }
            catch (HttpRequestException) when (aggregator.HasExited) { break; }
            var state = JsonDocument.Parse(json).RootElement.Clone();
            var cluster = state.GetProperty("cluster");
            var round = state.GetProperty("status").GetProperty("round").GetInt64();
            if (round > 0 && cluster.GetArrayLength() > 0 && cluster[cluster.GetArrayLength() - 1] is var last
                && last.GetProperty("aggregators").GetInt32() == 1 && last.GetProperty("workers").GetInt32() == 3)
            {
                going = state;
                break;
            }
            await Task.Delay(100);
        }
        Assert.True(going is not null, "the dashboard's state never showed the run going with 1 aggregator and 3 workers up");
        var events = going!.Value.GetProperty("cluster").EnumerateArray().Select(c => c.GetProperty("event").GetString()!).ToArray();
        Assert.Contains(events, e => e.StartsWith("worker 127.0.0.1:", StringComparison.Ordinal) && e.EndsWith(" up", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("aggregator 127.0.0.1:", StringComparison.Ordinal) && e.EndsWith(" up", StringComparison.Ordinal));
        Assert.Equal("node", going.Value.GetProperty("mode").GetString());
        Assert.Equal(400, going.Value.GetProperty("status").GetProperty("rounds").GetInt64());

        // The event stream's first event is the same kind of snapshot, membership included.
        if (!aggregator.HasExited)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, page + "events");
            using var sse = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var response = await sse.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? data = null;
            for (var line = await reader.ReadLineAsync(); line is not null; line = await reader.ReadLineAsync())
                if (line.StartsWith("data: ", StringComparison.Ordinal)) { data = line["data: ".Length..]; break; }
            Assert.True(data is not null, "the event stream sent no data");
            var first = JsonDocument.Parse(data!).RootElement;
            Assert.Equal("snapshot", first.GetProperty("kind").GetString());
            Assert.True(first.GetProperty("cluster").GetArrayLength() > 0, "the stream's snapshot has no membership");
        }

        // A worker node's own view of the membership, by its Meter (it has no dashboard): polled until it has seen every
        // member up, since its gossip may lag the aggregator's.
        var text = "";
        double Members(string role) => text.Split('\n')
            .Where(l => l.StartsWith("akkabyz_cluster_members{", StringComparison.Ordinal) && l.Contains($"role=\"{role}\"", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture))
            .Single();
        var seen = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        do
        {
            text = await http.GetStringAsync(scrape);
            if (Members("aggregator") == 1 && Members("worker") == 3) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < seen);
        Assert.Equal(1, Members("aggregator"));
        Assert.Equal(3, Members("worker"));
        Assert.Contains(text.Split('\n'), l => l.StartsWith("akkabyz_cluster_unreachable", StringComparison.Ordinal));

        Assert.Equal(0, await aggregator.WaitForExit(TimeSpan.FromSeconds(120)));
        foreach (var w in workers) Assert.Equal(0, await w.WaitForExit(TimeSpan.FromSeconds(30)));
    }
}
