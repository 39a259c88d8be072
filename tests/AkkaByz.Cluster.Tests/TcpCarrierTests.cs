using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Tcp;
using static AkkaByz.Cluster.Tests.TransportNodes;

namespace AkkaByz.Cluster.Tests;

/// <summary>Two in-process nodes with <c>akkabyz-transport.mode = tcp</c>, every vector carried.</summary>
public sealed class TcpNodesFixture : IDisposable
{
    public TransportNodes Nodes { get; } = new("akkabyz-transport { mode = tcp, threshold = 0 }");

    public void Dispose() => Nodes.Dispose();
}

/// <summary>
/// Specs of <see cref="TcpVectorCarrier"/>: vectors told through <see cref="VectorTransport.Tell"/> arrive bit-exact,
/// in order, from the original sender; a connection that writes junk is refused and counted, and later vectors
/// still arrive.
/// </summary>
[Collection("cluster processes")]
public sealed class TcpCarrierTests(TcpNodesFixture fixture) : IClassFixture<TcpNodesFixture>
{
    private const int Floats = 300_000;
    private readonly ActorSystem _a = fixture.Nodes.A;
    private readonly ActorSystem _b = fixture.Nodes.B;

    [Fact]
    public async Task Params_and_updates_arrive_bit_exact_in_order_from_the_original_sender()
    {
        var (sink, inbox) = Sink(_b, "tcp-sink1");
        var (from, replies) = Sink(_a, "tcp-from1");
        var target = await RemoteRef(_a, _b, sink);
        for (var k = 1; k <= 3; k++)
            VectorTransport.Get(_a).Tell(target, k % 2 == 1 ? new Params(k, Vector(Floats, k)) : new Update(k, Vector(Floats, k), k / 4.0), from);

        IActorRef? senderOnB = null;
        for (var k = 1; k <= 3; k++)
        {
            var got = await Next(inbox);
            Assert.Equal(FullPath(from), got.SenderPath);
            senderOnB = got.Sender;
            Assert.True(VectorPayload.TryFrom(got.Message, out var payload));
            Assert.Equal((k % 2 == 1 ? VectorKind.Params : VectorKind.Update, (long)k, k % 2 == 1 ? 0 : k / 4.0), (payload.Kind, payload.Round, payload.Loss));
            AssertBitExact(Vector(Floats, k), payload.Vector);
        }
        senderOnB!.Tell("reply");
        Assert.Equal("reply", (await Next(replies)).Message);
    }

    [Fact]
    public async Task A_connection_writing_junk_is_refused_and_counted_and_later_vectors_still_arrive()
    {
        var (sink, inbox) = Sink(_b, "tcp-sink2");
        var (from, _) = Sink(_a, "tcp-from2");
        var port = VectorTransport.Get(_b).ListeningPort ?? throw new InvalidOperationException("node B has no vector port");
        var badMagic = Rejected(_b, "bad-magic");

        using (var junk = new TcpClient())
        {
            await junk.ConnectAsync(IPAddress.Loopback, port);
            var bytes = new byte[VectorFrame.HeaderSize * 2];
            new Random(5).NextBytes(bytes);
            await junk.GetStream().WriteAsync(bytes);
            await Eventually(() => Rejected(_b, "bad-magic") == badMagic + 1, "the junk connection is refused");
        }

        var vector = Vector(Floats, 7);
        VectorTransport.Get(_a).Tell(await RemoteRef(_a, _b, sink), new Update(1, vector, 2.5), from);
        var got = await Next(inbox);
        AssertBitExact(vector, Assert.IsType<Update>(got.Message).Vector);
        Assert.Equal(FullPath(from), got.SenderPath);
    }
}

/// <summary>Two in-process tcp-mode nodes with tight receiving limits (2 connections, 1 s inside a frame).</summary>
public sealed class TightTcpNodesFixture : IDisposable
{
    public TransportNodes Nodes { get; } = new("akkabyz-transport { mode = tcp, threshold = 0, tcp { max-connections = 2, frame-timeout = 1s } }");

    public void Dispose() => Nodes.Dispose();
}

/// <summary>
/// The receiving side's resource limits: a peer that stalls inside a frame is cut off, and connections beyond
/// <c>tcp.max-connections</c> are refused — each counted, and honest vectors still get through afterwards.
/// </summary>
[Collection("cluster processes")]
public sealed class TcpCarrierLimitTests(TightTcpNodesFixture fixture) : IClassFixture<TightTcpNodesFixture>
{
    private readonly ActorSystem _a = fixture.Nodes.A;
    private readonly ActorSystem _b = fixture.Nodes.B;

    private int Port => VectorTransport.Get(_b).ListeningPort ?? throw new InvalidOperationException("node B has no vector port");

    [Fact]
    public async Task A_peer_stalling_inside_a_frame_is_cut_off_and_counted()
    {
        var (sink, _) = Sink(_b, "stall-sink");
        var stalled = Rejected(_b, "stalled");
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        // A valid header announcing 1,000 floats, its paths, then only 100 of the 4,000 bytes.
        var prefix = VectorFrame.EncodePrefix(new VectorPayload(VectorKind.Update, 1, 0, new float[1000]), FullPath(sink), "");
        await client.GetStream().WriteAsync(prefix);
        await client.GetStream().WriteAsync(new byte[100]);
        await Eventually(() => Rejected(_b, "stalled") == stalled + 1, "the stalled connection is cut off after frame-timeout (1 s)", seconds: 10);
        // The node closed it: a read on our side ends.
        var buffer = new byte[1];
        Assert.Equal(0, await client.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Connections_beyond_the_cap_are_refused_and_counted_and_vectors_flow_once_they_close()
    {
        var (sink, inbox) = Sink(_b, "cap-sink");
        var (from, _) = Sink(_a, "cap-from");
        var refused = Rejected(_b, "too-many-connections");
        var idle = new List<TcpClient>();
        try
        {
            // Hold the cap with idle connections (a previous test's connections may still be closing: take what is left).
            for (var i = 0; i < 3 && Rejected(_b, "too-many-connections") == refused; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, Port);
                idle.Add(c);
                await Task.Delay(200);
            }
            await Eventually(() => Rejected(_b, "too-many-connections") >= refused + 1, "a connection beyond max-connections = 2 is refused");
        }
        finally
        {
            foreach (var c in idle) c.Dispose();
        }

        // Once the idle connections are gone, node A connects and its vectors arrive.
        var target = await RemoteRef(_a, _b, sink);
        var vector = Vector(50_000, 3);
        for (var attempt = 0; ; attempt++)
        {
            VectorTransport.Get(_a).Tell(target, new Update(attempt + 1, vector, 0), from);
            try
            {
                var got = await Next(inbox, seconds: 3);
                AssertBitExact(vector, Assert.IsType<Update>(got.Message).Vector);
                break;
            }
            catch (TimeoutException) when (attempt < 5)
            {
                // the first attempts may land while the idle sockets are still being reaped
            }
        }
    }
}
