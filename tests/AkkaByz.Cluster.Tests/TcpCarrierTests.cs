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

/// <summary>Two in-process tcp-mode nodes with tight receiving limits (2 pending handshakes of 1 s, 1 s per frame, 2 connections per peer).</summary>
public sealed class TightTcpNodesFixture : IDisposable
{
    public TransportNodes Nodes { get; } = new("""
        akkabyz-transport { mode = tcp, threshold = 0, tcp { frame-timeout = 1s } }
        akkabyz-cluster.security { handshake-timeout = 1s, max-pending-handshakes = 2, max-connections-per-peer = 2 }
        """);

    public void Dispose() => Nodes.Dispose();
}

/// <summary>
/// The receiving side's resource limits: a frame must arrive whole within <c>tcp.frame-timeout</c> (a stall or a
/// trickle is cut off), a connection that never says hello holds only a pending slot and is closed after the
/// handshake timeout, pending connections beyond their cap are refused without touching connections already
/// established, and a peer's connections beyond its cap replace its oldest — each counted, honest vectors flowing.
/// </summary>
[Collection("cluster processes")]
public sealed class TcpCarrierLimitTests(TightTcpNodesFixture fixture) : IClassFixture<TightTcpNodesFixture>
{
    private readonly ActorSystem _a = fixture.Nodes.A;
    private readonly ActorSystem _b = fixture.Nodes.B;

    private int Port => VectorTransport.Get(_b).ListeningPort ?? throw new InvalidOperationException("node B has no vector port");

    /// <summary>A raw connection to node B's vector port that has said hello as <paramref name="address"/>.</summary>
    private async Task<TcpClient> Hello(string address = "akka.tcp://raw@127.0.0.1:1")
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        await client.GetStream().WriteAsync(VectorFrame.EncodeHello(address));
        return client;
    }

    [Fact]
    public async Task A_peer_stalling_inside_a_frame_is_cut_off_and_counted()
    {
        var (sink, _) = Sink(_b, "stall-sink");
        var stalled = Rejected(_b, "stalled");
        using var client = await Hello();
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
    public async Task A_peer_trickling_a_frame_byte_by_byte_is_cut_off_at_the_whole_frame_deadline()
    {
        var (sink, _) = Sink(_b, "trickle-sink");
        var stalled = Rejected(_b, "stalled");
        using var client = await Hello();
        var prefix = VectorFrame.EncodePrefix(new VectorPayload(VectorKind.Update, 1, 0, new float[1000]), FullPath(sink), "");
        await client.GetStream().WriteAsync(prefix);
        // One byte every 100 ms: every read succeeds long before any per-read timeout, yet the frame is never whole.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < 100 && Rejected(_b, "stalled") == stalled; i++)
            {
                await client.GetStream().WriteAsync(new byte[1]);
                await Task.Delay(100);
            }
        }
        catch (IOException)
        {
            // the node closed the connection under us
        }
        await Eventually(() => Rejected(_b, "stalled") == stalled + 1, "the trickling connection is cut off", seconds: 10);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"cut off after {clock.Elapsed.TotalSeconds:0.0} s; the frame deadline is 1 s");
    }

    [Fact]
    public async Task Connections_that_never_say_hello_are_capped_and_closed_without_disturbing_an_established_peer()
    {
        var (sink, inbox) = Sink(_b, "pending-sink");
        var (from, _) = Sink(_a, "pending-from");
        var target = await RemoteRef(_a, _b, sink);
        var vector = Vector(50_000, 3);
        VectorTransport.Get(_a).Tell(target, new Update(1, vector, 0), from); // A's connection is established first
        AssertBitExact(vector, Assert.IsType<Update>((await Next(inbox)).Message).Vector);

        var refused = Rejected(_b, "too-many-pending");
        var timedOut = Rejected(_b, "handshake-timeout");
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, Port);
                idle.Add(c);
            }
            await Eventually(() => Rejected(_b, "too-many-pending") >= refused + 1, "connections beyond max-pending-handshakes = 2 are refused");
            // The established peer is not affected while the pending slots are held.
            VectorTransport.Get(_a).Tell(target, new Update(2, vector, 0), from);
            Assert.Equal(2, Assert.IsType<Update>((await Next(inbox)).Message).Round);
            await Eventually(() => Rejected(_b, "handshake-timeout") >= timedOut + 2, "silent connections are closed after handshake-timeout = 1 s", seconds: 10);
        }
        finally
        {
            foreach (var c in idle) c.Dispose();
        }
    }

    [Fact]
    public async Task A_peer_s_connections_beyond_its_cap_replace_its_oldest()
    {
        var capped = Rejected(_b, "peer-connection-cap");
        var clients = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await Hello("akka.tcp://same-peer@127.0.0.1:2"));
                await Task.Delay(200);
            }
            await Eventually(() => Rejected(_b, "peer-connection-cap") >= capped + 1, "the third connection of one peer closes its first (max-connections-per-peer = 2)");
            // The node closed the oldest: a read ends (or the connection was reset).
            var buffer = new byte[1];
            try
            {
                Assert.Equal(0, await clients[0].GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            }
            catch (IOException)
            {
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
