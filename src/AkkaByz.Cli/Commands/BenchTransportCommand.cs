using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench transport</c>: one-way MB/s and vectors/s of 10^6- and 10^7-float Updates between two actor
/// systems on 127.0.0.1, sent through the vector transport in each mode (tcp: a dedicated socket; akka-chunked:
/// ack-paced chunks over Akka.Remote; akka: one Akka.Remote message, when it fits the frame), beside a plain TCP
/// socket moving the same bytes. The modes take turns within each of the --repeat rounds (so a change in the
/// machine's load hits neighbouring runs alike); every run is printed, then per size the best and the median of each
/// mode, its ratio to the socket, and each further mode against the first one of --modes: the median of the
/// per-round ratios (run r of the mode over run r of the first mode), and each of them.
/// </summary>
public static class BenchTransportCommand
{
    public static Command Create()
    {
        var command = new Command("transport", "One-way MB/s of 10^6/10^7-float vectors between two nodes on loopback (tcp, akka-chunked, akka) vs a plain TCP socket.");
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated vector lengths (floats).", DefaultValueFactory = _ => "1000000,10000000" };
        var modes = new Option<string>("--modes") { Description = "Comma-separated modes to measure, taking turns (the others are compared with the first): tcp, akka-chunked, akka, and mtls (the tcp carrier with mutual TLS and certificate identities; its baseline is a mutual-TLS socket).", DefaultValueFactory = _ => "tcp,akka-chunked,akka" };
        var megabytes = new Option<int>("--megabytes") { Description = "Bytes moved per timed run (MB, rounded to whole vectors, at least 2 vectors).", DefaultValueFactory = _ => 200 };
        var chunk = new Option<int>("--chunk-mib") { Description = "akka-chunked: chunk size (MiB).", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window") { Description = "akka-chunked: chunks in flight (unacknowledged).", DefaultValueFactory = _ => 4 };
        var frame = new Option<int>("--frame-mib") { Description = "akka.remote maximum-frame-size (MiB), as in hocon/cluster.conf.", DefaultValueFactory = _ => 16 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per mode and size, the modes taking turns (each run is printed; best and median summarised).", DefaultValueFactory = _ => 3 };
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

            output.WriteLine($"bench transport: 127.0.0.1, {Environment.ProcessorCount} cores, frame {parse.GetValue(frame)} MiB, chunks {parse.GetValue(chunk)} MiB × window {w}, " +
                             $"~{parse.GetValue(megabytes)} MB per run, {runs} runs per mode, modes alternating");
            var benches = new Dictionary<string, TransportBenchmark>();
            using var pki = wanted.Contains("mtls") ? new TransportBenchmark.Pki() : null;
            var summary = new List<string>();
            try
            {
                foreach (var m in wanted) benches[m] = TransportBenchmark.Create(m, frameBytes, chunkBytes, w, pki);
                output.WriteLine("| floats | MB/vector | run | mode | MB/s | vectors/s | socket (MB/s) | ratio |");
                output.WriteLine("|---|---|---|---|---|---|---|---|");
                foreach (var n in lengths)
                {
                    var transfers = Math.Max(2, (int)(parse.GetValue(megabytes) * 1e6 / (4.0 * n)));
                    await TransportBenchmark.SocketAsync(n, 2); // warm-up
                    var plain = 0.0;
                    for (var r = 0; r < runs; r++) plain = Math.Max(plain, await TransportBenchmark.SocketAsync(n, transfers));
                    var tls = 0.0;
                    if (pki is not null)
                        for (var r = 0; r < runs; r++) tls = Math.Max(tls, await TransportBenchmark.SocketAsync(n, transfers, pki));
                    var measured = wanted.Where(m => !(m == "akka" && 4L * n + ClusterNodeSettings.FrameOverhead > frameBytes)).ToList();
                    if (measured.Count < wanted.Length)
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | {4.0 * n / 1e6:0.#} | | akka (one message) | does not fit a {frameBytes >> 20} MiB frame | | {plain:0} | |"));
                    foreach (var m in measured) await benches[m].RunAsync(n, 2); // warm-up (JIT, association, connection)
                    var rates = measured.ToDictionary(m => m, _ => new List<double>());
                    for (var r = 0; r < runs; r++)
                        foreach (var m in measured)
                        {
                            var rate = await benches[m].RunAsync(n, transfers);
                            rates[m].Add(rate);
                            var socket = m == "mtls" ? tls : plain;
                            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"| {n:N0} | {4.0 * n / 1e6:0.#} | {r + 1} | {Name(m)} | {rate:0} | {rate * 1e6 / (4.0 * n):0.#} | {socket:0} | {rate / socket:P0} |"));
                        }
                    foreach (var m in measured)
                    {
                        var socket = m == "mtls" ? tls : plain;
                        var best = rates[m].Max();
                        var median = Median(rates[m]);
                        summary.Add(string.Create(CultureInfo.InvariantCulture,
                            $"| {n:N0} | {Name(m)} | {best:0} | {median:0} | {median * 1e6 / (4.0 * n):0.#} | {median / socket:P0} | {string.Join(", ", rates[m].Select(x => x.ToString("0", CultureInfo.InvariantCulture)))} |"));
                    }
                    foreach (var m in measured.Skip(1))
                    {
                        var first = measured[0];
                        var pairs = rates[m].Zip(rates[first], (x, y) => x / y).ToList();
                        summary.Add(string.Create(CultureInfo.InvariantCulture,
                            $"| {n:N0} | {Name(m)} / {Name(first)} | | {Median(pairs):P0} (median of runs) | | | per run: {string.Join(", ", pairs.Select(x => x.ToString("P0", CultureInfo.InvariantCulture)))} |"));
                    }
                }
                output.WriteLine();
                output.WriteLine("| floats | mode | best (MB/s) | median (MB/s) | median vectors/s | median vs socket | runs (MB/s) |");
                output.WriteLine("|---|---|---|---|---|---|---|");
                foreach (var line in summary) output.WriteLine(line);
            }
            finally
            {
                foreach (var b in benches.Values) await b.DisposeAsync();
            }
            return 0;
        });
        return command;
    }

    private static string Name(string mode) => mode switch
    {
        "akka" => "akka (one message)",
        "mtls" => "tcp, mutual TLS (vs a mutual-TLS socket)",
        _ => mode,
    };

    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
