using System.Globalization;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using Xunit.Abstractions;

namespace AkkaByz.Cluster.Tests;

/// <summary>
/// An end-to-end cluster run (separate `akkabyz node` processes) with every Params and Update carried by the
/// akka-chunked carrier: the wiring across processes (envelope, delivery, the sender's identity that the aggregator
/// validates). The model is the MLP on the synthetic task (5,514 floats = 22 KB): every vector travels as 6 chunks
/// of at most 4 KiB, at most 2 unacknowledged; pacing limits and refusals are specified in
/// <see cref="ChunkedCarrierTests"/>.
/// </summary>
[Collection("cluster processes")]
public sealed class ChunkedClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterHarness _cluster = new(output);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task A_run_through_the_akka_chunked_carrier_matches_a_local_run_bit_for_bit_and_counts_every_vector()
    {
        var config = _cluster.WriteConfig("model = mlp, rounds = 20, barrier.round-deadline = 10s",
            transport: "mode = akka-chunked, threshold = 0b, chunked { chunk-size = 4KiB, window = 2, timeout = 5s }");
        var port = ClusterHarness.FreePort();
        var aggregator = _cluster.Start("aggregator", ["--role", "aggregator", "--config", config, .. ClusterHarness.Management(port), .. ClusterHarness.Discovery(port),
            "--out", _cluster.OutDir, "--checkpoint-dir", _cluster.CheckpointDir]);
        var workers = Enumerable.Range(0, 3).Select(i => _cluster.Start($"worker {i}",
            ["--role", "worker", "--config", config, .. ClusterHarness.Management(0), .. ClusterHarness.Discovery(port)])).ToArray();

        Assert.Equal(0, await aggregator.WaitForExit(TimeSpan.FromSeconds(120)));
        foreach (var w in workers) Assert.Equal(0, await w.WaitForExit(TimeSpan.FromSeconds(30)));

        var settings = AkkaByzSettings.Create(AkkaByzConfig.Load(config)) with { Output = new OutputSettings("", false) };
        var local = await LocalTraining.RunAsync(settings);
        var parameters = ParameterFile.Read(Path.Combine(_cluster.OutDir, "parameters.bin"));
        Assert.Equal(local.FinalParameters.Length, parameters.Length);
        Assert.Equal(0, Enumerable.Range(0, parameters.Length)
            .Count(i => BitConverter.SingleToInt32Bits(parameters[i]) != BitConverter.SingleToInt32Bits(local.FinalParameters[i])));
        var transport = ClusterHarness.ReadJson(Path.Combine(_cluster.OutDir, "cluster.json")).GetProperty("vector_transport");
        Assert.Equal("akka-chunked", transport.GetProperty("mode").GetString());
        Assert.Equal(60, transport.GetProperty("vectors_sent").GetInt64());     // every Params, in chunks
        Assert.Equal(60, transport.GetProperty("vectors_received").GetInt64()); // and every Update
        Assert.Equal(0, transport.GetProperty("send_failures").GetInt64());
        Assert.Equal(60L * 4 * 5_514, transport.GetProperty("bytes_received").GetInt64()); // 6 chunks each
        Assert.Equal(5_514, parameters.Length);
    }
}
