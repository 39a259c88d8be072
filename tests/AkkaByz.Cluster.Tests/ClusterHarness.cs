using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;

namespace AkkaByz.Cluster.Tests;

/// <summary>
/// Starts `akkabyz node` processes on 127.0.0.1 in a temporary folder and ALWAYS kills them (Dispose runs even when
/// a test fails). Finds akkabyz.dll in the Cli's output folder of the same configuration as this test assembly.
/// </summary>
public sealed class ClusterHarness : IDisposable
{
    private readonly List<NodeProcess> _nodes = [];
    private readonly ITestOutputHelper _output;

    public ClusterHarness(ITestOutputHelper output)
    {
        _output = output;
        Directory = Path.Combine(Path.GetTempPath(), "akkabyz-cluster-tests", Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Executable = FindExecutable();
    }

    public string Directory { get; }

    public string Executable { get; }

    public string OutDir => Path.Combine(Directory, "out");

    public string CheckpointDir => Path.Combine(Directory, "checkpoints");

    public static int FreePort()
    {
        // Below Linux's ephemeral range (32768–60999), and below the 20000–32767 a node draws its management port from
        // when given 0: a port handed out here and bound later by a child process can never be taken meanwhile by
        // another socket's port-0 bind — the race that once gave a worker's management port to another worker's
        // remoting. Each port is handed out once per test process (a counter from a per-process offset) and checked
        // bindable now.
        for (var attempt = 0; attempt < PortSpan; attempt++)
        {
            var port = PortBase + (int)((uint)Interlocked.Increment(ref _nextPort) % PortSpan);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // in use (another test process, a lingering listener): the next one
            }
        }
        throw new InvalidOperationException($"no free port in {PortBase}..{PortBase + PortSpan - 1}");
    }

    private const int PortBase = 10000;
    private const int PortSpan = 10000;
    private static int _nextPort = Environment.ProcessId * 997 % PortSpan;

    /// <summary>
    /// Writes the run's config: the given akkabyz keys, the vector transport (by default every Params/Update through
    /// the tcp carrier: threshold 0, since the test models' vectors are far below the default threshold), plus fast
    /// failure detection (tests only; <paramref name="extraHocon"/> comes last and may override it). Pass it to every
    /// node so all use the same transport.
    /// </summary>
    public string WriteConfig(string akkabyz, string transport = "mode = tcp, threshold = 0b", string extraHocon = "")
    {
        var path = Path.Combine(Directory, "test-cluster.conf");
        File.WriteAllText(path, $$"""
            akkabyz {
              data.source = synthetic
              model = logreg
              workers = 3
              byzantine = 0
              attack = none
              aggregator = "ctma(cwtm)"
              eval-interval = 10
              seed = 7
              output.chart = off
              barrier { round-deadline = 1s, start-timeout = 60s }
              {{akkabyz}}
            }
            akkabyz-cluster { join-interval = 500ms, progress-every = 5, checkpoint-interval = 5 }
            akkabyz-transport { {{transport}} }
            # Fast failure detection: small messages only, so short pauses are safe here.
            akka.cluster.failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 2s }
            akka.cluster.split-brain-resolver.stable-after = 2s
            {{extraHocon}}
            """);
        ConfigPath = path;
        return path;
    }

    /// <summary>The test cluster's CA folder (made on first use by <see cref="Certificate"/>).</summary>
    public string CertificateDir => Path.Combine(Directory, "certs");

    /// <summary>The cluster CA's certificate (ca.crt), made on first use.</summary>
    public string CaCertificate
    {
        get
        {
            var ca = Path.Combine(CertificateDir, "ca.crt");
            if (!File.Exists(ca)) AkkaByz.Runtime.Security.CertificateAuthority.Init(CertificateDir, "tests", TimeSpan.FromDays(2));
            return ca;
        }
    }

    /// <summary>A node certificate of the test CA for <paramref name="role"/>/<paramref name="name"/> (NAME.pfx), issued on first use.</summary>
    public string Certificate(string role, string name)
    {
        _ = CaCertificate;
        var pfx = Path.Combine(CertificateDir, name + ".pfx");
        if (!File.Exists(pfx)) AkkaByz.Runtime.Security.CertificateAuthority.Issue(CertificateDir, role, name, CertificateDir, TimeSpan.FromDays(1));
        return pfx;
    }

    /// <summary>The node flags for mutual TLS with the test CA: <c>--ca ca.crt --cert NAME.pfx</c>.</summary>
    public string[] TlsFlags(string role, string name) => ["--ca", CaCertificate, "--cert", Certificate(role, name)];

    /// <summary>The file written by the last <see cref="WriteConfig"/>.</summary>
    public string? ConfigPath { get; private set; }

    /// <summary>
    /// The flags of config discovery with the aggregators' management endpoints on 127.0.0.1 as contact points:
    /// <c>--discovery config --contact 127.0.0.1:P1,127.0.0.1:P2</c> (what the sample script passes as well).
    /// </summary>
    public static string[] Discovery(params int[] contactPorts) =>
        ["--discovery", "config", "--contact", string.Join(",", contactPorts.Select(p => $"127.0.0.1:{p.ToString(System.Globalization.CultureInfo.InvariantCulture)}"))];

    /// <summary><c>--management-port P</c> (0 = any free port: a worker, which is no contact point).</summary>
    public static string[] Management(int port) => ["--management-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>GET http://127.0.0.1:<paramref name="port"/><paramref name="path"/>: status code and body (0 and "" when nothing answers).</summary>
    public static async Task<(int Status, string Body)> HttpGet(int port, string path)
    {
        using var http = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is System.Net.Http.HttpRequestException or TaskCanceledException)
        {
            return (0, "");
        }
    }

    public NodeProcess Start(string label, params string[] arguments)
    {
        var node = new NodeProcess(label, Executable, ["node", .. arguments], Directory);
        _nodes.Add(node);
        return node;
    }

    public static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static string FindExecutable()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "AkkaByz.sln"))) continue;
            var cli = Path.Combine(dir.FullName, "src", "AkkaByz.Cli", "bin", configuration, "net10.0", "linux-x64", "akkabyz.dll");
            if (File.Exists(cli)) return cli;
            throw new FileNotFoundException($"akkabyz.dll not found at {cli}; build src/AkkaByz.Cli -c {configuration} first.");
        }
        throw new FileNotFoundException($"AkkaByz.sln not found above {here}.");
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            try { _output.WriteLine(node.Transcript()); } catch (InvalidOperationException) { }
            node.Dispose();
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
