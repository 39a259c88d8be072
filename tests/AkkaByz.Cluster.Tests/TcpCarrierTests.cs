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
