using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Protocol;
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

    private TransportBenchmark(string mode, long frameBytes, int chunkBytes, int window)
    {
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
              chunked { chunk-size = {{chunkBytes}}b, window = {{window}} }
            }
            akka.loglevel = WARNING
            akka.log-dead-letters = off
            """).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference);
        _sender = ActorSystem.Create("bench-sender", config);
        _receiver = ActorSystem.Create("bench-receiver", config);
        Transport = VectorTransport.Get(_sender);
        var inbound = VectorTransport.Get(_receiver);
        _sink = _receiver.ActorOf(Props.Create(() => new CountingSink(_counter, inbound)), "sink");
        _from = _sender.ActorOf(Props.Create(() => new Idle()), "worker");
    }

    /// <summary>Two actor systems whose vectors travel with <paramref name="mode"/> (tcp, akka-chunked or akka).</summary>
    public static TransportBenchmark Create(string mode, long frameBytes, int chunkBytes, int window) => new(mode, frameBytes, chunkBytes, window);

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
    public static async Task<double> SocketAsync(int floats, int transfers)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var vector = Vector(floats);
        var receive = Task.Factory.StartNew(() =>
        {
            using var client = listener.AcceptTcpClient();
            client.ReceiveBufferSize = 4 << 20;
            using var stream = client.GetStream();
            var target = new float[floats];
            for (var t = 0; t < transfers; t++) stream.ReadExactly(MemoryMarshal.AsBytes(target.AsSpan()));
        }, TaskCreationOptions.LongRunning);
        var send = Task.Factory.StartNew(() =>
        {
            using var sender = new TcpClient { NoDelay = true, SendBufferSize = 4 << 20 };
            sender.Connect(IPAddress.Loopback, port);
            using var stream = sender.GetStream();
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
