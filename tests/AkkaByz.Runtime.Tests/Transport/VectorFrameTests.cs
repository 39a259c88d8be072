using System.Buffers.Binary;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Tcp;

namespace AkkaByz.Runtime.Tests.Transport;

/// <summary>The tcp carrier's frame header: what is written is read back, and every malformed field is refused by name.</summary>
public sealed class VectorFrameTests
{
    private const string Target = "akka.tcp://akkabyz@127.0.0.1:4053/user/node/run#123";
    private const string Sender = "akka.tcp://akkabyz@127.0.0.1:4054/user/node/worker-0-1#456";

    private static byte[] Prefix(VectorKind kind = VectorKind.Update, int floats = 3) =>
        VectorFrame.EncodePrefix(new VectorPayload(kind, 42, 0.25, new float[floats]), Target, Sender);

    [Fact]
    public void A_written_header_and_its_paths_are_read_back()
    {
        var prefix = Prefix();
        var h = VectorFrame.ParseHeader(prefix, 1 << 20);
        Assert.Equal(new VectorFrameHeader(FrameKind.Update, 0, Target.Length, Sender.Length, 42, 0.25, 3), h);
        Assert.Equal(Target, VectorFrame.DecodePath(prefix.AsSpan(VectorFrame.HeaderSize, h.TargetLength)));
        Assert.Equal(Sender, VectorFrame.DecodePath(prefix.AsSpan(VectorFrame.HeaderSize + h.TargetLength, h.SenderLength)));
        Assert.Equal(VectorFrame.HeaderSize + Target.Length + Sender.Length, prefix.Length);
    }

    public static TheoryData<string, int, byte[], string> Corruptions => new()
    {
        { "magic", 0, [0x47, 0x45, 0x54, 0x20], "bad-magic" },  // "GET " — an HTTP client on the vector port
        { "version 1", 4, [1], "bad-version" },
        { "kind 0", 5, [0], "bad-kind" },
        { "kind 8", 5, [8], "bad-kind" },
        { "manifest on a vector", 6, [1, 0], "bad-header" },
        { "negative round", 16, [0, 0, 0, 0, 0, 0, 0, 0x80], "bad-header" },
        { "empty target", 8, [0, 0, 0, 0], "bad-header" },
        { "huge target", 8, [0, 0, 1, 0], "bad-header" },
        { "negative sender", 12, [0xFF, 0xFF, 0xFF, 0xFF], "bad-header" },
        { "negative floats", 32, [0xFF, 0xFF, 0xFF, 0xFF], "bad-header" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void A_malformed_header_is_refused_with_its_reason(string what, int offset, byte[] bytes, string reason)
    {
        var prefix = Prefix();
        bytes.CopyTo(prefix, offset);
        var e = Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(prefix, 1 << 20));
        Assert.True(e.Reason == reason, $"{what}: reason {e.Reason}, expected {reason} ({e.Message})");
    }

    [Fact]
    public void A_vector_larger_than_the_limit_is_refused_before_anything_is_allocated()
    {
        var prefix = Prefix();
        BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(32), 300_000_000); // 1.2 GB announced
        var e = Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(prefix, 1L << 30));
        Assert.Equal("too-large", e.Reason);
        Assert.Contains("maximum-message-size", e.Message, StringComparison.Ordinal);
        Assert.Equal(1 << 18, VectorFrame.ParseHeader(Prefix(floats: 1 << 18), 1L << 20).Floats); // exactly at the limit is fine
    }

    [Fact]
    public void Once_the_run_s_d_is_known_a_vector_of_any_other_size_is_refused_on_its_header()
    {
        var limits = new FrameLimits(1L << 30, ExpectedFloats: 330);
        Assert.Equal(330, VectorFrame.ParseHeader(Prefix(floats: 330), limits).Floats);
        var e = Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(Prefix(floats: 331), limits));
        Assert.Equal("wrong-size", e.Reason);
        var huge = Prefix(floats: 330);
        BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(32), 250_000_000); // 1 GB announced, below the size cap
        Assert.Equal("wrong-size", Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(huge, limits)).Reason);
        // The adversary tap's empty answer ("no vector this round") is the one exception.
        Assert.Equal(0, VectorFrame.ParseHeader(Prefix(VectorKind.CraftedVector, floats: 0), limits).Floats);
        Assert.Equal("wrong-size", Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(Prefix(VectorKind.Update, floats: 0), limits)).Reason);
    }

    [Fact]
    public void Message_frames_are_bounded_by_the_control_message_limit_and_carry_a_manifest()
    {
        var frame = VectorFrame.EncodeMessage(FrameKind.ClusterMessage, Target, Sender, "cj", new byte[100]);
        var limits = new FrameLimits(1L << 30, 330, MaximumControlBytes: 4096);
        var h = VectorFrame.ParseHeader(frame, limits);
        Assert.Equal((FrameKind.ClusterMessage, 2, 100), (h.Kind, h.ManifestLength, h.Body));
        Assert.Equal("cj", VectorFrame.DecodePath(frame.AsSpan(VectorFrame.HeaderSize + h.TargetLength + h.SenderLength, h.ManifestLength)));
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(32), 1 << 20);
        Assert.Equal("too-large", Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(frame, limits)).Reason);
        var noManifest = VectorFrame.EncodeMessage(FrameKind.Message, Target, Sender, "u", new byte[4]);
        noManifest[6] = 0;
        Assert.Equal("bad-header", Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(noManifest, limits)).Reason);
    }

    [Fact]
    public void A_hello_names_an_address_and_carries_no_paths()
    {
        var hello = VectorFrame.EncodeHello("akka.ssl.tcp://akkabyz@127.0.0.1:4053");
        var h = VectorFrame.ParseHeader(hello, 1 << 20);
        Assert.Equal(FrameKind.Hello, h.Kind);
        Assert.Equal("akka.ssl.tcp://akkabyz@127.0.0.1:4053", VectorFrame.DecodePath(hello.AsSpan(VectorFrame.HeaderSize, h.Body)));
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(8), 5);
        Assert.Equal("bad-header", Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(hello, 1 << 20)).Reason);
        Assert.Throws<ArgumentException>(() => VectorFrame.EncodeHello(new string('a', VectorFrame.MaxHelloBytes + 1)));
    }

    [Fact]
    public void Truncated_headers_and_invalid_utf8_paths_are_refused()
    {
        Assert.Equal("truncated", Assert.Throws<VectorFrameException>(() => VectorFrame.ParseHeader(new byte[10], 1 << 20)).Reason);
        Assert.Equal("bad-path", Assert.Throws<VectorFrameException>(() => VectorFrame.DecodePath([0xC3, 0x28])).Reason);
    }

    [Fact]
    public void Encoding_refuses_paths_it_could_not_send()
    {
        var payload = new VectorPayload(VectorKind.Params, 1, 0, [1f]);
        Assert.Throws<ArgumentException>(() => VectorFrame.EncodePrefix(payload, "", Sender));
        Assert.Throws<ArgumentException>(() => VectorFrame.EncodePrefix(payload, Target, new string('x', VectorFrame.MaxPathBytes + 1)));
    }

    [Fact]
    public void Payloads_round_trip_to_the_protocol_messages_they_came_from()
    {
        var update = new AkkaByz.Runtime.Protocol.Update(7, [1f, 2f], 0.5);
        Assert.True(VectorPayload.TryFrom(update, out var u));
        Assert.Equal(VectorKind.Update, u.Kind);
        var back = Assert.IsType<AkkaByz.Runtime.Protocol.Update>(u.ToMessage());
        Assert.Equal((7L, 0.5), (back.Round, back.Loss));
        Assert.Same(update.Vector, back.Vector);
        var p = new AkkaByz.Runtime.Protocol.Params(3, [4f]);
        Assert.True(VectorPayload.TryFrom(p, out var pp));
        Assert.Equal(p.X, Assert.IsType<AkkaByz.Runtime.Protocol.Params>(pp.ToMessage()).X);
        Assert.False(VectorPayload.TryFrom(new AkkaByz.Runtime.Protocol.RegisterWorker(0, "w"), out _));
    }
}
