using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Tcp;
using Xunit.Abstractions;

namespace AkkaByz.Cluster.Tests;

/// <summary>
/// A mutual-TLS cluster (`akkabyz node` processes on 127.0.0.1) under attack from this test process: outsiders (no
/// certificate, a foreign CA, an expired certificate, a connection flood), a node with a valid worker certificate
/// that talks through Akka.Remote, and an admitted worker ("mallory") that impersonates another worker, asks for
/// slots it does not hold, forges the aggregator's control messages and sends oversized and trickling frames. The run
/// must end with exactly the parameters of the same run in one process, and every attempt must be counted by reason.
/// </summary>
[Collection("cluster processes")]
public sealed class HostileClusterTests(ITestOutputHelper output) : IDisposable
{
    private const int D = 330; // logreg on the synthetic task
    private readonly ClusterHarness _cluster = new(output);
    private readonly List<ActorSystem> _systems = [];

    public void Dispose()
    {
        foreach (var s in _systems) s.Terminate().Wait(TimeSpan.FromSeconds(10));
        _cluster.Dispose();
    }

    [Fact]
    public async Task Outsiders_and_a_lying_admitted_worker_change_nothing_and_every_attempt_is_counted()
    {
        var config = _cluster.WriteConfig("""rounds = 400, barrier.round-deadline = 10s, faults.stragglers = ["0:50ms", "1:50ms", "2:50ms"]""",
            transport: "mode = tcp, tcp.frame-timeout = 2s",
            // Patient failure detection: the attack traffic and the test's own nodes load the 2-core machine, and a worker
            // marked unreachable for a few rounds would change the run for reasons unrelated to security.
            extraHocon: """
                akkabyz-cluster.security { handshake-timeout = 2s, max-pending-handshakes = 16 }
                akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s
                akka.cluster.split-brain-resolver.stable-after = 30s
                """);
        var port = ClusterHarness.FreePort();
        var aggregator = _cluster.Start("aggregator", ["--role", "aggregator", "--config", config, "--port", port.ToString(CultureInfo.InvariantCulture),
            "--seed-nodes", $"127.0.0.1:{port}", .. ClusterHarness.Management(0), "--out", _cluster.OutDir, .. _cluster.TlsFlags("aggregator", "agg")]);
        var workers = Enumerable.Range(0, 3).Select(i => _cluster.Start($"worker w{i}",
            ["--role", "worker", "--config", config, "--seed-nodes", $"127.0.0.1:{port}", .. ClusterHarness.Management(0), .. _cluster.TlsFlags("worker", $"w{i}")])).ToArray();

        // Wait until the three honest workers hold the three slots (the attackers come later: no free slot to take).
        var slotLine = new Regex(@"worker node (\S+) \('([^']*)', identity worker:(\S+)\) gets slot (\d+)");
        await TransportNodes.Eventually(() => aggregator.Lines.Count(l => slotLine.IsMatch(l)) == 3, "three workers get their slots", seconds: 90);
        var slots = aggregator.Lines.Select(l => slotLine.Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups[3].Value, m => (Address: m.Groups[1].Value, Slot: int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture)));
        var aggregatorAddress = $"akka.ssl.tcp://akkabyz@127.0.0.1:{port}";
        var vectorPort = int.Parse(Regex.Match(aggregator.Lines.First(l => l.Contains("vector transport: tcp on port", StringComparison.Ordinal)),
            @"tcp on port (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var (w0Address, w0Slot) = slots["w0"];
        var w0Process = workers.Single(w => w.Label == "worker w0");
        var w0Line = await w0Process.WaitForLine(l => l.Contains($"slot {w0Slot} of 3", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var w0Worker = w0Address + Regex.Match(w0Line ?? "", @"actor (\S+)").Groups[1].Value;

        // ---- an admitted worker (valid certificate, mode = mtls) that lies, through the certificate-checked carrier
        var mallory = Node("mallory", secure: true);
        var malloryAddress = ((ExtendedActorSystem)mallory).Provider.DefaultAddress.ToString();
        var link = VectorTransport.Get(mallory);
        var (probe, replies) = Sink(mallory);
        IActorRef At(ActorSystem from, string path) => ((ExtendedActorSystem)from).Provider.ResolveActorRef(path);
        var coordinator = At(mallory, $"{aggregatorAddress}/user/aggregator/coordinator");
        var run = At(mallory, $"{aggregatorAddress}/user/aggregator/coordinator/run");
        link.Tell(coordinator, new JoinRun("mallory", w0Slot, ""), probe);           // every slot is held: refused
        link.Tell(coordinator, new RegisterWorker(w0Slot, "mallory"), probe);         // w0's slot: not this identity's
        link.Tell(run, new RegisterWorker((w0Slot + 1) % 3, "mallory"), probe);       // straight to the aggregator: same
        for (var r = 1; r <= 5; r++) link.Tell(run, new Update(r, Poison(), 0), probe); // never registered
        link.Tell(At(mallory, $"{w0Address}/user/node"), new RunFinished(true, "forged"), probe);
        link.Tell(At(mallory, $"{w0Address}/user/node"), new RunAssignment("forged", w0Slot, ["akkabyz.rounds = 1"], D), probe);
        link.Tell(At(mallory, w0Worker), new Params(1L << 50, new float[D]), probe);    // a far-future round
        link.Tell(At(mallory, w0Worker), new WorkerRegistered(w0Slot, D), probe);       // redirect w0's updates
        // Three refusals, from two actors (the coordinator and the run): their order is not defined.
        var refusals = new List<object>();
        for (var i = 0; i < 3; i++) refusals.Add((await TransportNodes.Next(Reader(replies), 30)).Message);
        Assert.Single(refusals, m => m is JoinRefused);
        Assert.Equal(2, refusals.Count(m => m is RegistrationRejected));
        await Task.Delay(500);
        // A local-only message (closes that connection), then an update in w0's name (impersonation; closes it too).
        link.Tell(coordinator, new RunCompleted(true, "forged", 424242, Poison(), new Dictionary<string, long>(), 0, 0, 0), probe);
        await Task.Delay(1000);

        // ---- a node with a valid worker certificate that sends the protocol through Akka.Remote (and in JSON)
        var eve = Node("eve", secure: false);
        eve.ActorSelection($"{aggregatorAddress}/user/aggregator/coordinator").Tell(new RunCompleted(true, "forged", 424242, Poison(), new Dictionary<string, long>(), 0, 0, 0));
        eve.ActorSelection($"{aggregatorAddress}/user/aggregator/coordinator").Tell(new JoinRun("eve", 0, ""));
        eve.ActorSelection($"{aggregatorAddress}/user/node").Tell(new RunFinished(true, "forged"));
        eve.ActorSelection($"{aggregatorAddress}/user/node").Tell(new NodeExit(0)); // no binary serializer: JSON
        eve.ActorSelection($"{w0Address}/user/node/*").Tell(new Params(1L << 50, new float[D]));
        eve.ActorSelection($"{aggregatorAddress}/user/aggregator/coordinator").Tell(PoisonPill.Instance); // stop the run
        eve.ActorSelection($"{w0Address}/user/node").Tell(Kill.Instance);

        // ---- outsiders on Akka.Remote: a node whose certificate comes from another CA
        var foreignDir = Path.Combine(_cluster.Directory, "foreign");
        CertificateAuthority.Init(foreignDir, "foreign", TimeSpan.FromDays(2));
        var foreignPfx = CertificateAuthority.Issue(foreignDir, "worker", "w0", foreignDir, TimeSpan.FromDays(1)).PfxPath;
        var foreign = Node("foreign", secure: false, pfx: foreignPfx);
        foreign.ActorSelection($"{aggregatorAddress}/user/node").Tell(new RunFinished(true, "forged"));

        // ---- outsiders and mallory on the aggregator's vector port, by hand
        var expiredPfx = CertificateAuthority.Issue(_cluster.CertificateDir, "worker", "old", Path.Combine(_cluster.Directory, "expired"), TimeSpan.FromDays(10),
            notBefore: DateTimeOffset.UtcNow.AddDays(-200)).PfxPath;
        using var malloryCert = X509CertificateLoader.LoadPkcs12FromFile(_cluster.Certificate("worker", "mallory"), null);
        using var foreignCert = X509CertificateLoader.LoadPkcs12FromFile(foreignPfx, null);
        using var expiredCert = X509CertificateLoader.LoadPkcs12FromFile(expiredPfx, null);
        await RawTls(vectorPort, null, _ => Task.CompletedTask);
        await RawTls(vectorPort, foreignCert, _ => Task.CompletedTask);
        await RawTls(vectorPort, expiredCert, _ => Task.CompletedTask);
        await RawTls(vectorPort, malloryCert, s => s.WriteAsync(VectorFrame.EncodeHello(w0Address)).AsTask()); // w0's address
        await RawTls(vectorPort, malloryCert, async s =>
        {
            await s.WriteAsync(VectorFrame.EncodeHello(malloryAddress));
            var header = VectorFrame.EncodePrefix(new VectorPayload(VectorKind.Update, 5, 0, new float[D]), $"{aggregatorAddress}/user/aggregator/coordinator/run", $"{malloryAddress}/user/probe");
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(32), 100_000_000); // 400 MB announced
            await s.WriteAsync(header);
        });
        var runPath = $"{aggregatorAddress}/user/aggregator/coordinator/run";
        await RawTls(vectorPort, malloryCert, async s =>
        {
            // An update in w0's name on mallory's own authenticated connection (impersonation).
            await s.WriteAsync(VectorFrame.EncodeHello(malloryAddress));
            await s.WriteAsync(VectorFrame.EncodePrefix(new VectorPayload(VectorKind.Update, 5, 0, new float[D]), runPath, w0Worker));
            await s.WriteAsync(new byte[4 * D]);
        });
        await RawTls(vectorPort, malloryCert, async s =>
        {
            await s.WriteAsync(VectorFrame.EncodeHello(malloryAddress));
            await s.WriteAsync(VectorFrame.EncodePrefix(new VectorPayload(VectorKind.Update, 5, 0, new float[D]), runPath, $"{malloryAddress}/user/probe"));
            for (var i = 0; i < 40; i++)
            {
                await s.WriteAsync(new byte[1]); // a byte every 100 ms: cut off at the 2 s frame deadline
                await Task.Delay(100);
            }
        });
        var flood = new List<TcpClient>();
        for (var i = 0; i < 30; i++)
        {
            var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, vectorPort);
            flood.Add(c);
        }
        await Task.Delay(3000);
        foreach (var c in flood) c.Dispose();
        Assert.False(aggregator.HasExited, "the run ended before the attacks did (raise rounds): the attacks must land during the run");

        // ---- the run is untouched
        Assert.Equal(0, await aggregator.WaitForExit(TimeSpan.FromSeconds(120)));
        foreach (var w in workers) Assert.Equal(0, await w.WaitForExit(TimeSpan.FromSeconds(30)));
        var summary = ClusterHarness.ReadJson(Path.Combine(_cluster.OutDir, "summary.json"));
        Assert.True(summary.GetProperty("completed").GetBoolean());
        Assert.Equal(400, summary.GetProperty("rounds_run").GetInt64());
        Assert.Equal(1200, summary.GetProperty("updates_accepted").GetInt64());
        Assert.True(summary.GetProperty("rejected").GetProperty("unregistered").GetInt64() >= 5);
        var settings = AkkaByzSettings.Create(AkkaByzConfig.Load(config)) with { Output = new OutputSettings("", false) };
        var local = await LocalTraining.RunAsync(settings);
        var parameters = ParameterFile.Read(Path.Combine(_cluster.OutDir, "parameters.bin"));
        Assert.Equal(0, Enumerable.Range(0, parameters.Length)
            .Count(i => BitConverter.SingleToInt32Bits(parameters[i]) != BitConverter.SingleToInt32Bits(local.FinalParameters[i])));

        // ---- and every attempt was counted, by reason (metrics.csv follows the total round by round)
        var lastRow = File.ReadLines(Path.Combine(_cluster.OutDir, "metrics.csv")).Last(l => l.Length > 0).Split(',');
        Assert.True(long.Parse(lastRow[^1], CultureInfo.InvariantCulture) > 0, $"metrics.csv's refused_total stayed 0: {string.Join(",", lastRow)}");
        var refused = ClusterHarness.ReadJson(Path.Combine(_cluster.OutDir, "cluster.json")).GetProperty("security").GetProperty("refused");
        long Count(string reason) => refused.TryGetProperty(reason, out var v) ? v.GetInt64() : 0;
        var missing = new[]
        {
            "no-certificate", "foreign-ca", "expired", "address-claimed", "wrong-size", "stalled", "too-many-pending", "handshake-timeout",
            "forged-sender", "not-allowed", "via-akka-remote", "json", "remote-stop", "slot-not-yours:RegisterWorker",
        }.Where(r => Count(r) == 0).ToArray();
        Assert.True(missing.Length == 0, $"not counted: {string.Join(", ", missing)}; counted: {refused}");
        var w0 = workers.Single(w => w.Label == "worker w0");
        var w0Summary = w0.Lines.LastOrDefault(l => l.Contains("security: this node refused", StringComparison.Ordinal)) ?? "";
        foreach (var reason in new[] { "not-from-aggregator:RunFinished", "not-from-aggregator:RunAssignment", "not-from-aggregator:Params", "not-from-aggregator:WorkerRegistered", "via-akka-remote", "remote-stop" })
            Assert.True(w0Summary.Contains(reason, StringComparison.Ordinal), $"w0 did not count {reason}: '{w0Summary}'");
    }

    private static float[] Poison()
    {
        var v = new float[D];
        Array.Fill(v, 1e6f);
        return v;
    }

    /// <summary>An in-process node on 127.0.0.1 with a certificate of the test CA (or <paramref name="pfx"/>): in mtls mode it uses the carrier as a real node would; otherwise it sends everything through Akka.Remote.</summary>
    private ActorSystem Node(string name, bool secure, string? pfx = null)
    {
        pfx ??= _cluster.Certificate("worker", name);
        var security = secure
            ? $$"""akkabyz-cluster.security { mode = mtls, ca-certificate = "{{_cluster.CaCertificate}}", node-certificate = "{{pfx}}" }"""
            : "akkabyz-cluster.security.mode = insecure";
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, enable-ssl = on }
            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            akkabyz-transport.mode = tcp
            {{security}}
            """).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference);
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, null);
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config))
            .And(new DotNettySslSetup(certificate, suppressValidation: true, requireMutualAuthentication: true, customValidator: (_, _, _, _, _) => true));
        var system = ActorSystem.Create("akkabyz", setup);
        VectorTransport.Get(system);
        _systems.Add(system);
        return system;
    }

    private static (IActorRef, Channel<Received>) Sink(ActorSystem system)
    {
        var channel = Channel.CreateUnbounded<Received>();
        var actor = system.ActorOf(Props.Create(() => new SinkActor(channel.Writer)), "probe");
        return (actor, channel);
    }

    private static ChannelReader<Received> Reader(Channel<Received> channel) => channel.Reader;

    private sealed class SinkActor : ReceiveActor
    {
        public SinkActor(ChannelWriter<Received> writer) =>
            ReceiveAny(m => writer.TryWrite(new Received(m, Sender, TransportNodes.FullPath(Sender))));
    }

    /// <summary>A TLS connection to a vector port with <paramref name="certificate"/> (or none), then <paramref name="then"/>; failures are the point.</summary>
    private static async Task RawTls(int port, X509Certificate2? certificate, Func<Stream, Task> then)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        try
        {
            await using var ssl = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = certificate is null ? null : [certificate],
            }).WaitAsync(TimeSpan.FromSeconds(10));
            await then(ssl);
            // Give the node time to refuse (TLS 1.3 reports a refused client certificate only on the next read).
            var buffer = new byte[1];
            await ssl.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or TimeoutException or SocketException or ObjectDisposedException)
        {
        }
    }
}
