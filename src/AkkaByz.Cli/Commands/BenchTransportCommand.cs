using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench transport</c>: one-way MB/s of 10^6- and 10^7-float Params between two actor systems on
/// 127.0.0.1, sent through the vector transport in each mode (tcp: a dedicated socket; akka-chunked: ack-paced
/// chunks over Akka.Remote; akka: one Akka.Remote message, when it fits the frame), beside a plain TCP socket
/// moving the same bytes; prints the ratio to the socket (goal ≥ 60 %). Best of --repeat.
/// </summary>
public static class BenchTransportCommand
{
    public static Command Create()
    {
        var command = new Command("transport", "One-way MB/s of 10^6/10^7-float vectors between two nodes on loopback (tcp, akka-chunked, akka) vs a plain TCP socket.");
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated vector lengths (floats).", DefaultValueFactory = _ => "1000000,10000000" };
        var modes = new Option<string>("--modes") { Description = "Comma-separated modes to measure: tcp, akka-chunked, akka, and mtls (the tcp carrier with mutual TLS and certificate identities; its baseline is a mutual-TLS socket).", DefaultValueFactory = _ => "tcp,akka-chunked,akka" };
        var megabytes = new Option<int>("--megabytes") { Description = "Bytes moved per timed run (MB, rounded to whole vectors, at least 2 vectors).", DefaultValueFactory = _ => 200 };
        var chunk = new Option<int>("--chunk-mib") { Description = "akka-chunked: chunk size (MiB).", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window") { Description = "akka-chunked: chunks in flight (unacknowledged).", DefaultValueFactory = _ => 4 };
        var frame = new Option<int>("--frame-mib") { Description = "akka.remote maximum-frame-size (MiB), as in hocon/cluster.conf.", DefaultValueFactory = _ => 16 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per row (best is reported).", DefaultValueFactory = _ => 3 };
        foreach (var o in new Option[] { sizes, modes, megabytes, chunk, window, frame, repeat }) command.Options.Add(o);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var chunkBytes = parse.GetValue(chunk) << 20;
            var frameBytes = (long)parse.GetValue(frame) << 20;
            var w = parse.GetValue(window);
            var runs = Math.Max(1, parse.GetValue(repeat));
            var wanted = parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var m in wanted)
            {
                if (m is not ("tcp" or "akka-chunked" or "akka" or "mtls"))
                {
                    error.WriteLine($"error: --modes: '{m}' is not a mode (tcp, akka-chunked, akka, mtls).");
                    return 2;
                }
            }
            var lengths = new List<int>();
            foreach (var text in parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                {
                    error.WriteLine($"error: --sizes: '{text}' is not a positive number of floats.");
                    return 2;
                }
                lengths.Add(n);
            }

            output.WriteLine($"bench transport: 127.0.0.1, {Environment.ProcessorCount} cores, frame {parse.GetValue(frame)} MiB, akka-chunked {parse.GetValue(chunk)} MiB × window {w}, " +
                             $"~{parse.GetValue(megabytes)} MB per run, best of {runs}");
            output.WriteLine("| floats | MB/vector | mode | AkkaByz (MB/s) | socket (MB/s) | ratio |");
            output.WriteLine("|---|---|---|---|---|---|");
            var benches = new Dictionary<string, TransportBenchmark>();
            using var pki = wanted.Contains("mtls") ? new TransportBenchmark.Pki() : null;
            try
            {
                foreach (var m in wanted) benches[m] = TransportBenchmark.Create(m, frameBytes, chunkBytes, w, pki);
                foreach (var n in lengths)
                {
                    var transfers = Math.Max(2, (int)(parse.GetValue(megabytes) * 1e6 / (4.0 * n)));
                    await TransportBenchmark.SocketAsync(n, 2); // warm-up
                    var plain = 0.0;
                    for (var r = 0; r < runs; r++) plain = Math.Max(plain, await TransportBenchmark.SocketAsync(n, transfers));
                    var tls = 0.0;
                    if (pki is not null)
                        for (var r = 0; r < runs; r++) tls = Math.Max(tls, await TransportBenchmark.SocketAsync(n, transfers, pki));
                    foreach (var m in wanted)
                    {
                        var socket = m == "mtls" ? tls : plain;
                        if (m == "akka" && 4L * n + ClusterNodeSettings.FrameOverhead > frameBytes)
                        {
                            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | {4.0 * n / 1e6:0.#} | akka (one message) | does not fit a {frameBytes >> 20} MiB frame | {socket:0} | |"));
                            continue;
                        }
                        await benches[m].RunAsync(n, 2); // warm-up (JIT, association, connection)
                        var rate = 0.0;
                        for (var r = 0; r < runs; r++) rate = Math.Max(rate, await benches[m].RunAsync(n, transfers));
                        var name = m switch { "akka" => "akka (one message)", "mtls" => "tcp, mutual TLS (vs a mutual-TLS socket)", _ => m };
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {n:N0} | {4.0 * n / 1e6:0.#} | {name} | {rate:0} | {socket:0} | {rate / socket:P0} |"));
                    }
                }
            }
            finally
            {
                foreach (var b in benches.Values) await b.DisposeAsync();
            }
            return 0;
        });
        return command;
    }
}
