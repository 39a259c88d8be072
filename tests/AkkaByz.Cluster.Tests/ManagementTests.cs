using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace AkkaByz.Cluster.Tests;

/// <summary>
/// The management endpoint over HTTP, on live nodes that found each other through config discovery: <c>/alive</c>,
/// <c>/ready</c> (a worker only once the coordinator gave it a slot, the aggregator only once its coordinator runs) and
/// the bootstrap's <c>/bootstrap/seed-nodes</c>.
/// </summary>
[Collection("cluster processes")]
public sealed class ManagementTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterHarness _cluster = new(output);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task Liveness_and_readiness_follow_the_node_through_discovery_join_slot_and_run()
    {
        // 100 ms per round: the run lasts long enough to look at it while it trains.
        var config = _cluster.WriteConfig("""workers = 1, rounds = 100, barrier.round-deadline = 5s, faults.stragglers = ["0:100ms"]""");
        var (aggregatorPort, workerPort) = (ClusterHarness.FreePort(), ClusterHarness.FreePort());

        // The worker first: alive, but not ready while no aggregator exists (nothing to join, no slot).
        var worker = _cluster.Start("worker", ["--role", "worker", "--config", config, .. ClusterHarness.Management(workerPort), .. ClusterHarness.Discovery(aggregatorPort)]);
        Assert.NotNull(await worker.WaitForLine(l => l.Contains("joining via config discovery", StringComparison.Ordinal), TimeSpan.FromSeconds(60)));
        Assert.Equal(200, (await ClusterHarness.HttpGet(workerPort, "/alive")).Status);
        var (status, body) = await ClusterHarness.HttpGet(workerPort, "/ready");
        Assert.Equal(503, status);
        Assert.Equal("not ready", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        Assert.Equal(404, (await ClusterHarness.HttpGet(workerPort, "/anything-else")).Status);

        var aggregator = _cluster.Start("aggregator", ["--role", "aggregator", "--config", config, .. ClusterHarness.Management(aggregatorPort),
            .. ClusterHarness.Discovery(aggregatorPort), "--out", _cluster.OutDir]);
        var started = await aggregator.WaitForLine(l => l.Contains("joining via config discovery", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.NotNull(started);
        Assert.NotNull(await aggregator.WaitForLine(l => l.Contains("round 10/100", StringComparison.Ordinal), TimeSpan.FromSeconds(60)));
        var waiting = aggregator.Lines.First(l => l.Contains("waiting for 1 workers", StringComparison.Ordinal));
        var slot = aggregator.Lines.First(l => l.Contains("gets slot 0", StringComparison.Ordinal));
        output.WriteLine($"aggregator start line -> coordinator up: {Elapsed(started, waiting):F2} s; -> worker has its slot: {Elapsed(started, slot):F2} s (shared machine)");

        (status, body) = await ClusterHarness.HttpGet(aggregatorPort, "/ready");
        Assert.Equal(200, status);
        Assert.Contains("coordinator running", body, StringComparison.Ordinal);
        (status, body) = await ClusterHarness.HttpGet(workerPort, "/ready");
        Assert.Equal(200, status);
        Assert.Contains("worker of slot 0", body, StringComparison.Ordinal);
        Assert.Equal(200, (await ClusterHarness.HttpGet(aggregatorPort, "/alive")).Status);

        // The bootstrap route other nodes probe: this node and the members, in Akka.Management's JSON.
        (status, body) = await ClusterHarness.HttpGet(aggregatorPort, "/bootstrap/seed-nodes");
        Assert.Equal(200, status);
        var seeds = JsonDocument.Parse(body).RootElement;
        Assert.Equal(2, seeds.GetProperty("Nodes").GetArrayLength());
        Assert.Equal(405, (await Post(aggregatorPort, "/bootstrap/seed-nodes")));

        Assert.Equal(0, await aggregator.WaitForExit(TimeSpan.FromSeconds(120)));
        Assert.Equal(0, await worker.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, (await ClusterHarness.HttpGet(aggregatorPort, "/alive")).Status); // gone with the process
    }

    private static async Task<int> Post(int port, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{port}{path}"), new StringContent("{}"));
        return (int)response.StatusCode;
    }

    /// <summary>Seconds between the [HH:mm:ss.fff] stamps of two lines.</summary>
    private static double Elapsed(string from, string to) =>
        (Stamp(to) - Stamp(from)).TotalSeconds;

    private static TimeSpan Stamp(string line) => TimeSpan.ParseExact(line[1..13], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
}
