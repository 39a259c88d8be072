using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>
/// One-way throughput of <see cref="Update"/> messages between two actor systems on 127.0.0.1 (same process,
/// separate TCP connections, remote provider), sent exactly as workers send them — through
/// <see cref="VectorTransport.Tell"/> — in one <c>akkabyz-transport.mode</c>, to an actor that hands each vector back
/// (<see cref="VectorTransport.Recycle"/>) as the aggregator does after a round; and through a plain TCP socket on
/// loopback moving the same bytes, measured by the same process. Time = first send to the last message received by
/// the target actor (rebuilt, as the aggregator sees it) or the socket's last byte read.
/// </summary>
internal sealed class TransportBenchmark : IAsyncDisposable
{
    private readonly ActorSystem _sender;
    private readonly ActorSystem _receiver;
    private readonly Counter _counter = new();
    private readonly IActorRef _sink;
    private readonly IActorRef _from;

    private TransportBenchmark(string mode, long frameBytes, int chunkBytes, int window, Pki? pki)
    {
        var security = pki is null ? "" : $$"""
            akka.remote.dot-netty.tcp.enable-ssl = on
            akka.actor.serialize-messages = off
            akkabyz-cluster.security { mode = mtls, ca-certificate = "{{pki.Ca}}" }
            """;
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp {
              hostname = 127.0.0.1
              port = 0
              maximum-frame-size = {{frameBytes}}b
              send-buffer-size = {{frameBytes}}b
              receive-buffer-size = {{frameBytes}}b
            }
            akkabyz-transport {
              mode = {{mode}}
              threshold = 0b
              tcp.queue-size = 10000000 # the bench queues a whole run at once (training queues at most m per round)
              chunked { chunk-size = {{chunkBytes}}b, window = {{window}} }
            }
            akka.loglevel = WARNING
            akka.log-dead-letters = off
            {{security}}
            """).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference);
        _sender = Create("bench-sender", config, pki?.Sender);
        _receiver = Create("bench-receiver", config, pki?.Receiver);
        Transport = VectorTransport.Get(_sender);
        var inbound = VectorTransport.Get(_receiver);
        _sink = _receiver.ActorOf(Props.Create(() => new CountingSink(_counter, inbound)), "sink");
        _from = _sender.ActorOf(Props.Create(() => new Idle()), "worker");
    }

    /// <summary>
    /// Two actor systems whose vectors travel with <paramref name="mode"/> (tcp, akka-chunked or akka), or with
    /// <c>mtls</c>: the tcp carrier in mode = mtls (mutual TLS with node certificates of a throw-away cluster CA, the
    /// sender's hello confirmed as in a cluster).
    /// </summary>
    public static TransportBenchmark Create(string mode, long frameBytes, int chunkBytes, int window, Pki? pki = null) =>
        new(mode == "mtls" ? "tcp" : mode, frameBytes, chunkBytes, window, mode == "mtls" ? pki ?? throw new ArgumentNullException(nameof(pki)) : null);

    private static ActorSystem Create(string name, Config config, string? pfx)
    {
        if (pfx is null) return ActorSystem.Create(name, config);
        config = ConfigurationFactory.ParseString($"akkabyz-cluster.security.node-certificate = \"{pfx}\"").WithFallback(config);
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, null);
        return ActorSystem.Create(name, ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config))
            .And(new DotNettySslSetup(certificate, suppressValidation: true, requireMutualAuthentication: true)));
    }

    /// <summary>A throw-away cluster CA with a sender and a receiver certificate (for the mtls rows).</summary>
    public sealed class Pki : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkabyz-bench-" + Guid.NewGuid().ToString("N")[..8]);

        public Pki()
        {
            CertificateAuthority.Init(_dir, "bench", TimeSpan.FromDays(1));
            Sender = CertificateAuthority.Issue(_dir, NodeIdentity.WorkerRole, "sender", _dir, TimeSpan.FromDays(1)).PfxPath;
            Receiver = CertificateAuthority.Issue(_dir, NodeIdentity.AggregatorRole, "receiver", _dir, TimeSpan.FromDays(1)).PfxPath;
        }

        public string Ca => Path.Combine(_dir, "ca.crt");
        public string Sender { get; }
        public string Receiver { get; }

        public void Dispose()
        {
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        }
    }

    public VectorTransport Transport { get; }

    /// <summary>MB/s (10^6 bytes) moving <paramref name="transfers"/> updates of <paramref name="floats"/> floats.</summary>
    public async Task<double> RunAsync(int floats, int transfers)
    {
        var address = ((ExtendedActorSystem)_receiver).Provider.DefaultAddress;
        var target = await _sender.ActorSelection($"{address}/user/sink").ResolveOne(TimeSpan.FromSeconds(10));
        var vector = Vector(floats);
        var done = _counter.Expect(transfers, floats);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < transfers; i++) Transport.Tell(target, new Update(i + 1, vector, 0.5), _from);
        if (await Task.WhenAny(done, Task.Delay(TimeSpan.FromMinutes(5))) != done)
            throw new TimeoutException($"bench transport ({Transport.ModeName}): {transfers} vectors of {floats} floats did not arrive within 5 minutes " +
                                       $"({_counter.Remaining} missing; wrong lengths {_counter.Wrong}).");
        var seconds = watch.Elapsed.TotalSeconds;
        if (_counter.Wrong > 0) throw new InvalidOperationException($"bench transport: {_counter.Wrong} messages arrived with the wrong length or sender.");
        return 4.0 * floats * transfers / seconds / 1e6;
    }

    /// <summary>
    /// MB/s moving the same bytes through a plain loopback TCP socket: one blocking write per vector, the receiver
    /// reading each straight into one reused buffer on its own thread (the fastest plain-socket code we know, so
    /// the ratio is not flattered by a slow baseline).
    /// </summary>
    public static async Task<double> SocketAsync(int floats, int transfers, Pki? tls = null)
    {
        using var serverCert = tls is null ? null : X509CertificateLoader.LoadPkcs12FromFile(tls.Receiver, null);
        using var clientCert = tls is null ? null : X509CertificateLoader.LoadPkcs12FromFile(tls.Sender, null);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var vector = Vector(floats);
        var receive = Task.Factory.StartNew(() =>
        {
            using var client = listener.AcceptTcpClient();
            client.ReceiveBufferSize = 4 << 20;
            Stream stream = client.GetStream();
            if (serverCert is not null)
            {
                var ssl = new SslStream(stream, false, (_, _, _, _) => true);
                ssl.AuthenticateAsServer(new SslServerAuthenticationOptions { ServerCertificate = serverCert, ClientCertificateRequired = true });
                stream = ssl;
            }
            using var owned = stream;
            var target = new float[floats];
            for (var t = 0; t < transfers; t++) stream.ReadExactly(MemoryMarshal.AsBytes(target.AsSpan()));
        }, TaskCreationOptions.LongRunning);
        var send = Task.Factory.StartNew(() =>
        {
            using var sender = new TcpClient { NoDelay = true, SendBufferSize = 4 << 20 };
            sender.Connect(IPAddress.Loopback, port);
            Stream stream = sender.GetStream();
            if (clientCert is not null)
            {
                var ssl = new SslStream(stream, false, (_, _, _, _) => true);
                ssl.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1", ClientCertificates = [clientCert] });
                stream = ssl;
            }
            using var owned = stream;
            var watch = Stopwatch.StartNew();
            for (var t = 0; t < transfers; t++) stream.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
            receive.GetAwaiter().GetResult();
            return watch.Elapsed.TotalSeconds;
        }, TaskCreationOptions.LongRunning);
        var seconds = await send;
        return 4.0 * floats * transfers / seconds / 1e6;
    }

    private static float[] Vector(int n)
    {
        var v = new float[n];
        var random = new Random(1);
        for (var i = 0; i < n; i++) v[i] = (float)random.NextDouble();
        return v;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_sender.Terminate(), _receiver.Terminate());
    }

    private sealed class Counter
    {
        private int _remaining;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Remaining => Volatile.Read(ref _remaining);
        public int Wrong;

        public int Length;

        public Task Expect(int count, int length)
        {
            Length = length;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Wrong = 0;
            Volatile.Write(ref _remaining, count);
            return _done.Task;
        }

        public void Arrived(Update u, IActorRef sender, int length)
        {
            if (sender.Path.Name != "worker" || u.Vector.Length != length) Interlocked.Increment(ref Wrong);
            if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
        }
    }

    private sealed class CountingSink : ReceiveActor
    {
        public CountingSink(Counter counter, VectorTransport transport) => Receive<Update>(u =>
        {
            counter.Arrived(u, Sender, counter.Length);
            transport.Recycle([u.Vector]);
        });
    }

    private sealed class Idle : ReceiveActor;
}
