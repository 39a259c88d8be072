using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench transport</c>: one-way MB/s of 10^6- and 10^7-float vectors between two Akka.Remote actor systems
/// on 127.0.0.1 (binary serializer; whole-vector messages when they fit the frame, and ack-paced chunks), beside a
/// plain TCP socket moving the same bytes; prints the ratio to the socket (goal ≥ 60 %). Best of --repeat.
/// </summary>
public static class BenchTransportCommand
{
    public static Command Create()
    {
        var command = new Command("transport", "One-way MB/s of 10^6/10^7-float vectors over Akka.Remote (loopback) vs a plain TCP socket.");
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated vector lengths (floats).", DefaultValueFactory = _ => "1000000,10000000" };
        var megabytes = new Option<int>("--megabytes") { Description = "Bytes moved per timed run (MB, rounded to whole vectors, at least 2 vectors).", DefaultValueFactory = _ => 160 };
        var chunk = new Option<int>("--chunk-mib") { Description = "Chunk size (MiB).", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window") { Description = "Chunks in flight (unacknowledged).", DefaultValueFactory = _ => 4 };
        var frame = new Option<int>("--frame-mib") { Description = "akka.remote maximum-frame-size (MiB), as in hocon/cluster.conf.", DefaultValueFactory = _ => 16 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per row (best is reported).", DefaultValueFactory = _ => 3 };
        foreach (var o in new Option[] { sizes, megabytes, chunk, window, frame, repeat }) command.Options.Add(o);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var chunkBytes = parse.GetValue(chunk) << 20;
            var frameBytes = (long)parse.GetValue(frame) << 20;
            var w = parse.GetValue(window);
            var runs = Math.Max(1, parse.GetValue(repeat));
            output.WriteLine($"bench transport: 127.0.0.1, {Environment.ProcessorCount} cores, frame {parse.GetValue(frame)} MiB, chunk {parse.GetValue(chunk)} MiB, " +
                             $"window {w}, ~{parse.GetValue(megabytes)} MB per run, best of {runs}");
            output.WriteLine("| floats | MB/vector | mode | Akka.Remote (MB/s) | TCP socket (MB/s) | ratio |");
            output.WriteLine("|---|---|---|---|---|---|");
            await using var bench = TransportBenchmark.Create(frameBytes);
            foreach (var n in parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)))
            {
                var transfers = Math.Max(2, (int)(parse.GetValue(megabytes) * 1e6 / (4.0 * n)));
                await bench.AkkaAsync(n, 2, chunkBytes, w); // warm-up (JIT, association)
                await TransportBenchmark.SocketAsync(n, 2);
                var socket = 0.0;
                for (var r = 0; r < runs; r++) socket = Math.Max(socket, await TransportBenchmark.SocketAsync(n, transfers));
                var modes = new List<(string Name, int ChunkBytes, int Window)>();
                if (4L * n + ClusterNodeSettings.FrameOverhead <= frameBytes) modes.Add(("one message per vector", 4 * n + 16, 2));
                modes.Add(($"{chunkBytes >> 20} MiB chunks", chunkBytes, w));
                foreach (var (name, bytes, win) in modes)
                {
                    var akka = 0.0;
                    for (var r = 0; r < runs; r++) akka = Math.Max(akka, await bench.AkkaAsync(n, transfers, bytes, win));
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {n:N0} | {4.0 * n / 1e6:0.#} | {name} | {akka:0} | {socket:0} | {akka / socket:P0} |"));
                }
                if (4L * n + ClusterNodeSettings.FrameOverhead > frameBytes)
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | {4.0 * n / 1e6:0.#} | one message per vector | does not fit a {frameBytes >> 20} MiB frame | | |"));
            }
            return 0;
        });
        return command;
    }
}
