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
/// One-way throughput of float vectors between two Akka.Remote actor systems on 127.0.0.1 (same process, separate
/// TCP association, the real serializer), sent as <see cref="AkkaByz.Runtime.Protocol.Update"/>s through
/// <see cref="VectorTransport.Tell"/> with <c>akkabyz-transport.mode = akka-chunked</c> (one pair of systems per chunk
/// size and window), and through a plain TCP socket on loopback moving the same bytes. Time = first send to the last
/// vector delivered at the receiver (Akka) or its last byte read (socket).
/// </summary>
internal sealed class TransportBenchmark : IAsyncDisposable
{
    private readonly long _frameBytes;
    private readonly Dictionary<(int ChunkBytes, int Window), (ActorSystem Sender, ActorSystem Receiver, IActorRef Sink)> _pairs = [];
    private readonly Counter _counter = new();

    private TransportBenchmark(long frameBytes) => _frameBytes = frameBytes;

    public static TransportBenchmark Create(long frameBytes) => new(frameBytes);

    private (ActorSystem Sender, ActorSystem Receiver, IActorRef Sink) Pair(int chunkBytes, int window)
    {
        if (_pairs.TryGetValue((chunkBytes, window), out var pair)) return pair;
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp {
              hostname = 127.0.0.1
              port = 0
              maximum-frame-size = {{_frameBytes}}b
              send-buffer-size = {{_frameBytes}}b
              receive-buffer-size = {{_frameBytes}}b
            }
            akkabyz-transport {
              mode = akka-chunked
              threshold = 0
              chunked { chunk-size = {{chunkBytes}}b, window = {{window}} }
            }
            akka.loglevel = WARNING
            akka.log-dead-letters = off
            """).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference);
        var sender = ActorSystem.Create("bench-sender", config);
        var receiver = ActorSystem.Create("bench-receiver", config);
        VectorTransport.Get(sender);
        VectorTransport.Get(receiver);
        var sink = receiver.ActorOf(Props.Create(() => new CountingSink(_counter)), "sink");
        return _pairs[(chunkBytes, window)] = (sender, receiver, sink);
    }

    /// <summary>MB/s (10^6 bytes) moving <paramref name="transfers"/> vectors of <paramref name="floats"/> through Akka.Remote.</summary>
    public async Task<double> AkkaAsync(int floats, int transfers, int chunkBytes, int window)
    {
        var (senderSystem, receiverSystem, _) = Pair(chunkBytes, window);
        var address = ((ExtendedActorSystem)receiverSystem).Provider.DefaultAddress;
        var target = await senderSystem.ActorSelection($"{address}/user/sink").ResolveOne(TimeSpan.FromSeconds(10));
        var transport = VectorTransport.Get(senderSystem);
        var vector = Vector(floats);
        var done = _counter.Expect(transfers);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < transfers; i++) transport.Tell(target, new Update(i + 1, vector, 0), ActorRefs.Nobody);
        if (await Task.WhenAny(done, Task.Delay(TimeSpan.FromMinutes(5))) != done)
            throw new TimeoutException($"bench transport: {transfers} vectors of {floats} floats did not arrive within 5 minutes.");
        return 4.0 * floats * transfers / watch.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>MB/s moving the same bytes through a plain loopback TCP socket (one write per vector).</summary>
    public static async Task<double> SocketAsync(int floats, int transfers)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var vector = Vector(floats);
        var bytes = MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();
        var receive = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            client.ReceiveBufferSize = 4 << 20;
            using var stream = client.GetStream();
            var target = new byte[4L * floats]; // the receiver reads straight into the vector's bytes (no extra copy)
            for (var t = 0; t < transfers; t++)
            {
                var got = 0;
                while (got < target.Length)
                {
                    var n = await stream.ReadAsync(target.AsMemory(got, Math.Min(4 << 20, target.Length - got)));
                    if (n == 0) throw new IOException("socket closed early");
                    got += n;
                }
            }
        });
        using var sender = new TcpClient { NoDelay = true, SendBufferSize = 4 << 20 };
        await sender.ConnectAsync(IPAddress.Loopback, port);
        var watch = Stopwatch.StartNew();
        using (var stream = sender.GetStream())
        {
            for (var t = 0; t < transfers; t++) await stream.WriteAsync(bytes);
            await receive;
        }
        return 4.0 * floats * transfers / watch.Elapsed.TotalSeconds / 1e6;
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
        await Task.WhenAll(_pairs.Values.SelectMany(p => new[] { p.Sender.Terminate(), p.Receiver.Terminate() }));
    }

    private sealed class Counter
    {
        private int _remaining;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Expect(int count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining, count);
            return _done.Task;
        }

        public void Arrived()
        {
            if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
        }
    }

    private sealed class CountingSink : ReceiveActor
    {
        public CountingSink(Counter counter) => Receive<Update>(_ => counter.Arrived());
    }
}
