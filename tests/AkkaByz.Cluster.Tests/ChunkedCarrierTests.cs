using Akka.Actor;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Chunked;
using static AkkaByz.Cluster.Tests.TransportNodes;

namespace AkkaByz.Cluster.Tests;

/// <summary>Two in-process nodes with <c>akkabyz-transport.mode = akka-chunked</c>, 64 KiB chunks, every vector carried.</summary>
public sealed class ChunkedNodesFixture : IDisposable
{
    public const int ChunkFloats = 64 * 1024 / 4;

    public TransportNodes Nodes { get; } = new("""
        akkabyz-transport {
          mode = akka-chunked
          threshold = 0
          chunked { chunk-size = 64KiB, window = 4, timeout = 2s }
        }
        """);

    public void Dispose() => Nodes.Dispose();
}

/// <summary>
/// Specs of <see cref="ChunkedVectorCarrier"/>: Params/Update told through <see cref="VectorTransport.Tell"/> from an
/// actor on A to an actor on B travel as ack-paced chunks over Akka.Remote and arrive whole, bit-exact, in order and
/// from the original sender; malformed chunks are counted by reason and never delivered; a peer that never
/// acknowledges costs a counted send failure after the timeout and blocks no one else.
/// </summary>
[Collection("cluster processes")]
public sealed class ChunkedCarrierTests(ChunkedNodesFixture fixture) : IClassFixture<ChunkedNodesFixture>
{
    private const int Floats = 300_000; // 19 chunks of 64 KiB (the last one shorter)
    private readonly ActorSystem _a = fixture.Nodes.A;
    private readonly ActorSystem _b = fixture.Nodes.B;

    [Fact]
    public async Task Params_and_updates_arrive_bit_exact_in_order_from_the_original_sender()
    {
        var (sink, inbox) = Sink(_b, "sink1");
        var (from, replies) = Sink(_a, "from1");
        var target = await RemoteRef(_a, _b, sink);
        var before = VectorTransport.Get(_b).Stats.Snapshot().Delivered;
        IAkkaByzMessage[] sent =
        [
            new Params(1, Vector(Floats, 1)), new Update(2, Vector(Floats, 2), 0.5),
            new Params(3, Vector(Floats, 3)), new Update(4, Vector(Floats + 1, 4), 1.25),
            new Update(5, [], 0), new Params(6, Vector(2 * ChunkedNodesFixture.ChunkFloats, 6)), new Update(7, [3f], -1), // edges of the layout
        ];
        foreach (var m in sent) VectorTransport.Get(_a).Tell(target, m, from);

        IActorRef? senderOnB = null;
        foreach (var m in sent)
        {
            var got = await Next(inbox);
            Assert.Equal(FullPath(from), got.SenderPath);
            senderOnB = got.Sender;
            switch (m)
            {
                case Params p:
                    var gp = Assert.IsType<Params>(got.Message);
                    Assert.Equal(p.Round, gp.Round);
                    AssertBitExact(p.X, gp.X);
                    break;
                case Update u:
                    var gu = Assert.IsType<Update>(got.Message);
                    Assert.Equal((u.Round, u.Loss), (gu.Round, gu.Loss));
                    AssertBitExact(u.Vector, gu.Vector);
                    break;
            }
        }
        Assert.Equal(before + sent.Length, VectorTransport.Get(_b).Stats.Snapshot().Delivered);

        // The sender as resolved on B is a working reference to the actor on A.
        senderOnB!.Tell("reply");
        Assert.Equal("reply", (await Next(replies)).Message);
    }

    [Fact]
    public async Task Several_transfers_to_several_actors_in_both_directions_at_once_all_arrive_whole_and_in_order()
    {
        var (sinkB1, inboxB1) = Sink(_b, "sink2b1");
        var (sinkB2, inboxB2) = Sink(_b, "sink2b2");
        var (sinkA, inboxA) = Sink(_a, "sink2a");
        var (fromA1, _) = Sink(_a, "from2a1");
        var (fromA2, _) = Sink(_a, "from2a2");
        var (fromB, _) = Sink(_b, "from2b");
        var routes = new (ActorSystem System, IActorRef Target, IActorRef From, System.Threading.Channels.ChannelReader<Received> Inbox, int Seed)[]
        {
            (_a, await RemoteRef(_a, _b, sinkB1), fromA1, inboxB1, 100),
            (_a, await RemoteRef(_a, _b, sinkB2), fromA2, inboxB2, 200),
            (_b, await RemoteRef(_b, _a, sinkA), fromB, inboxA, 300),
        };
        const int Messages = 4;

        await Task.WhenAll(routes.Select(r => Task.Run(() =>
        {
            for (var k = 1; k <= Messages; k++)
                VectorTransport.Get(r.System).Tell(r.Target, new Update(k, Vector(Floats, r.Seed + k), k), r.From);
        })));

        foreach (var r in routes)
            for (var k = 1; k <= Messages; k++)
            {
                var got = await Next(r.Inbox);
                var update = Assert.IsType<Update>(got.Message);
                Assert.Equal(k, update.Round);
                AssertBitExact(Vector(Floats, r.Seed + k), update.Vector);
                Assert.Equal(FullPath(r.From), got.SenderPath);
            }
    }

    [Fact]
    public async Task Malformed_chunks_are_refused_and_counted_by_reason_nothing_is_delivered_and_the_inbox_survives()
    {
        var (sink, inbox) = Sink(_b, "sink3");
        var (probe, answers) = Sink(_a, "probe3");
        var chunks = _a.ActorSelection($"{AddressOf(_b)}/system/{ChunkedVectorCarrier.ReceiverName}");
        var targetPath = FullPath(sink);
        var senderPath = FullPath(probe);
        var maximum = VectorTransport.Get(_b).Settings.MaximumMessageSize;
        var delivered = VectorTransport.Get(_b).Stats.Snapshot().Delivered;
        VectorTransferEnvelope Envelope(int total, int chunkFloats, int count, VectorKind kind = VectorKind.Update, string? target = null, string? sender = null) =>
            new(kind, 7, 0.5, target ?? targetPath, sender ?? senderPath, total, chunkFloats, count);
        VectorChunk Chunk(long id, int index, int floats, VectorTransferEnvelope? envelope) => new(id, index, new float[floats], envelope);
        var tooMany = (int)(maximum / 4 + 1);
        var cases = new (string Reason, VectorChunk[] Chunks)[]
        {
            ("no-envelope", [Chunk(101, 0, 10, null)]),
            ("no-envelope", [Chunk(102, 3, 16, null)]),
            ("bad-envelope", [Chunk(103, 0, 16, Envelope(100, 16, 3))]), // 100 floats by 16 are 7 chunks
            ("bad-envelope", [Chunk(104, 1, 16, Envelope(100, 16, 7))]), // only chunk 0 carries the envelope
            ("bad-length", [Chunk(105, 0, 10, Envelope(100, 16, 7))]),
            ("bad-index", [Chunk(106, 0, 16, Envelope(100, 16, 7)), Chunk(106, 2, 16, null)]),
            ("bad-length", [Chunk(107, 0, 16, Envelope(20, 16, 2)), Chunk(107, 1, 16, null)]), // the last chunk has 4
            ("too-large", [Chunk(108, 0, 16384, Envelope(tooMany, 16384, VectorTransferEnvelope.CountFor(tooMany, 16384)))]),
            ("bad-kind", [Chunk(109, 0, 10, Envelope(10, 16, 1, (VectorKind)9))]),
            ("bad-path", [Chunk(110, 0, 10, Envelope(10, 16, 1, target: ""))]),
            ("forged-sender", [Chunk(113, 0, 10, Envelope(10, 16, 1, sender: FullPath(sink)))]), // A speaking for an actor of B
            ("forged-sender", [Chunk(114, 0, 10, Envelope(10, 16, 1, sender: "not a path"))]),
        };
        foreach (var (reason, parts) in cases)
        {
            var before = Rejected(_b, reason);
            foreach (var c in parts) chunks.Tell(c, probe);
            var id = parts[0].TransferId;
            Received answer;
            do answer = await Next(answers); // acks of the chunks accepted before the bad one
            while (answer.Message is ChunkAck ack && ack.TransferId == id);
            Assert.Equal(new ChunkRefused(id, reason), answer.Message);
            Assert.Equal(before + 1, Rejected(_b, reason));
        }

        // Whole and consistent, but for an actor of another node: acknowledged, then refused by the delivery.
        var notLocal = Rejected(_b, "not-local");
        chunks.Tell(Chunk(111, 0, 10, Envelope(10, 16, 1, target: FullPath(probe))), probe);
        Assert.Equal(new ChunkAck(111, 0), (await Next(answers)).Message);
        await Eventually(() => Rejected(_b, "not-local") == notLocal + 1, "the relay to another node is refused");

        // A transfer cut short by the next one from the same node lost chunks; one that stops half-way is dropped
        // after the timeout (2 s here).
        var (incomplete, stalled) = (Rejected(_b, "incomplete"), Rejected(_b, "stalled"));
        chunks.Tell(Chunk(115, 0, 16, Envelope(100, 16, 7)), probe);
        chunks.Tell(Chunk(112, 0, 16, Envelope(100, 16, 7)), probe);
        Assert.Equal(new ChunkAck(115, 0), (await Next(answers)).Message);
        Assert.Equal(new ChunkAck(112, 0), (await Next(answers)).Message);
        Assert.Equal(incomplete + 1, Rejected(_b, "incomplete"));
        await Eventually(() => Rejected(_b, "stalled") == stalled + 1, "the stalled transfer is dropped", seconds: 10);

        // Nothing was delivered; the inbox still works.
        Assert.Equal(delivered, VectorTransport.Get(_b).Stats.Snapshot().Delivered);
        var vector = Vector(Floats, 3);
        VectorTransport.Get(_a).Tell(await RemoteRef(_a, _b, sink), new Params(9, vector), probe);
        var got = await Next(inbox);
        AssertBitExact(vector, Assert.IsType<Params>(got.Message).X);
    }

    [Fact]
    public async Task A_node_that_never_acknowledges_costs_counted_send_failures_after_the_timeout_and_blocks_no_one_else()
    {
        var (sink, inbox) = Sink(_b, "sink4");
        var (from, _) = Sink(_a, "from4");
        var nobody = ((ExtendedActorSystem)_a).Provider.ResolveActorRef($"akka.tcp://nodeB@127.0.0.1:{ClusterHarness.FreePort()}/user/nobody");
        var transport = VectorTransport.Get(_a);
        var failures = transport.Stats.Snapshot().SendFailures;

        transport.Tell(nobody, new Params(1, Vector(Floats, 1)), from);
        transport.Tell(nobody, new Params(2, Vector(Floats, 2)), from); // queued behind the first
        var vector = Vector(Floats, 3);
        transport.Tell(await RemoteRef(_a, _b, sink), new Params(1, vector), from);

        AssertBitExact(vector, Assert.IsType<Params>((await Next(inbox)).Message).X);
        await Eventually(() => transport.Stats.Snapshot().SendFailures == failures + 2, "both vectors for the silent node are given up", seconds: 12);
    }

    [Fact]
    public async Task The_sender_keeps_at_most_window_chunks_unacknowledged_and_chunk_0_carries_the_envelope()
    {
        // Node C has no carrier (mode = akka); a recorder stands in for its chunk inbox and acknowledges by hand.
        using var c = Node("nodeC", "akkabyz-transport.mode = akka");
        var (inboxRef, chunks) = SystemSink(c, ChunkedVectorCarrier.ReceiverName);
        var (sink, _) = Sink(c, "sink6");
        var (from, _) = Sink(_a, "from6");
        var transport = VectorTransport.Get(_a);
        var window = transport.Settings.Window;
        var failures = transport.Stats.Snapshot().SendFailures;
        var vector = Vector(Floats, 6);

        transport.Tell(await RemoteRef(_a, c, sink), new Params(5, vector), from);

        var first = new List<VectorChunk>();
        IActorRef chunkSender = ActorRefs.Nobody;
        for (var i = 0; i < window; i++)
        {
            var got = await Next(chunks);
            first.Add(Assert.IsType<VectorChunk>(got.Message));
            chunkSender = got.Sender;
        }
        Assert.Equal(Enumerable.Range(0, window), first.Select(x => x.Index));
        var count = VectorTransferEnvelope.CountFor(Floats, ChunkedNodesFixture.ChunkFloats);
        Assert.Equal(new VectorTransferEnvelope(VectorKind.Params, 5, 0, FullPath(sink), FullPath(from), Floats, ChunkedNodesFixture.ChunkFloats, count),
            first[0].Envelope);
        Assert.All(first.Skip(1), x => Assert.Null(x.Envelope));
        foreach (var x in first)
            AssertBitExact(vector.AsSpan(x.Index * ChunkedNodesFixture.ChunkFloats, ChunkedNodesFixture.ChunkFloats).ToArray(), x.Part.ToArray());
        await Assert.ThrowsAsync<TimeoutException>(() => Next(chunks, 0.5)); // the window is full

        chunkSender.Tell(new ChunkAck(first[0].TransferId, 0), inboxRef); // from C's inbox, as a real receiver would
        Assert.Equal(window, Assert.IsType<VectorChunk>((await Next(chunks)).Message).Index);
        await Assert.ThrowsAsync<TimeoutException>(() => Next(chunks, 0.5));

        // No more acknowledgements: given up after the timeout, counted.
        await Eventually(() => transport.Stats.Snapshot().SendFailures == failures + 1, "the unacknowledged transfer is abandoned", seconds: 10);
    }

    [Fact]
    public async Task A_tcp_node_sending_to_a_chunked_node_fails_the_send_and_counts_it_and_nothing_is_delivered()
    {
        var (sink, inbox) = Sink(_b, "sink5");
        using var tcp = Node("nodeTcp", "akkabyz-transport { mode = tcp, threshold = 0, tcp.connect-timeout = 2s }");
        var (from, _) = Sink(tcp, "from5");
        var transport = VectorTransport.Get(tcp);

        transport.Tell(await RemoteRef(tcp, _b, sink), new Params(1, Vector(Floats, 1)), from);

        await Eventually(() => transport.Stats.Snapshot().SendFailures == 1, "the tcp node gives up on a node that has no vector port");
        Assert.False(inbox.TryRead(out _));
    }

    [Fact]
    public void A_chunk_with_its_envelope_round_trips_through_the_transport_serializer()
    {
        var envelope = new VectorTransferEnvelope(VectorKind.Params, 12, -1.5, "akka.tcp://x@h:1/user/a#1", "", 5, 4, 2);
        var chunk = new VectorChunk(3, 0, new float[] { 1f, float.NaN, -0f, 4f }, envelope);
        var serializer = (TransportSerializer)_a.Serialization.FindSerializerFor(chunk);
        var back = (VectorChunk)serializer.FromBinary(serializer.ToBinary(chunk), serializer.Manifest(chunk));
        Assert.Equal((3L, 0, envelope), (back.TransferId, back.Index, back.Envelope));
        AssertBitExact([1f, float.NaN, -0f, 4f], back.Part.ToArray());
        Assert.Equal(new ChunkRefused(3, "bad-kind"), serializer.FromBinary(serializer.ToBinary(new ChunkRefused(3, "bad-kind")), "vr"));
        var bytes = serializer.ToBinary(chunk);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..^1], "vc")); // truncated
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([.. bytes, 0], "vc")); // trailing byte
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..20], "vc"));
    }
}
