using System.Runtime.Serialization;
using Akka.Serialization;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Serialization;

namespace AkkaByz.Runtime.Tests.Protocol;

public sealed class SerializerSpecs : Akka.TestKit.Xunit.TestKit
{
    public SerializerSpecs() : base(TestConfig.Full) { }

    private SerializerWithStringManifest Bound(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<AkkaByzSerializer>(serializer);
        Assert.Equal(AkkaByzSerializer.Id, serializer.Identifier);
        return (SerializerWithStringManifest)serializer;
    }

    private T RoundTrip<T>(T message) where T : notnull
    {
        var s = Bound(message);
        return (T)s.FromBinary(s.ToBinary(message), s.Manifest(message));
    }

    [Fact]
    public void Serializer_must_be_bound_to_every_protocol_message_and_round_trip_them()
    {
        Assert.Equal(new RegisterWorker(3, "worker-3"), RoundTrip(new RegisterWorker(3, "worker-3")));
        Assert.Equal(new WorkerRegistered(3, 7850), RoundTrip(new WorkerRegistered(3, 7850)));
        Assert.Equal(new RegistrationRejected(9, "slot taken é"), RoundTrip(new RegistrationRejected(9, "slot taken é")));
        Assert.Equal(new TrainingFinished(12, "completed"), RoundTrip(new TrainingFinished(12, "completed")));
        Assert.Same(WatchRun.Instance, RoundTrip(WatchRun.Instance));
        Assert.Equal(new CraftRequest(5, 2), RoundTrip(new CraftRequest(5, 2)));
        Assert.Equal(new EvaluationResult(4, 0.25, 0.875), RoundTrip(new EvaluationResult(4, 0.25, 0.875)));

        var p = RoundTrip(new Params(7, [1f, -2f, 3.5f]));
        Assert.Equal(7, p.Round);
        Assert.Equal([1f, -2f, 3.5f], p.X);
        var u = RoundTrip(new Update(8, [0.5f], double.NaN));
        Assert.Equal(8, u.Round);
        Assert.True(double.IsNaN(u.Loss));
        Assert.Equal([0.5f], u.Vector);
        Assert.Equal([2f], RoundTrip(new HonestCopy(1, [2f])).Vector);
        Assert.Empty(RoundTrip(new CraftedVector(1, [])).Vector);
        Assert.Equal([4f, 5f], RoundTrip(new EvaluateRequest(2, [4f, 5f])).X);

        var rc = RoundTrip(new RunCompleted(false, "stopped", 11, [1f, 2f], new Dictionary<string, long> { ["stale"] = 3, ["non-finite"] = 1 }, 40, 170, 1.5));
        Assert.False(rc.Completed);
        Assert.Equal("stopped", rc.Reason);
        Assert.Equal(11, rc.Rounds);
        Assert.Equal([1f, 2f], rc.FinalParameters);
        Assert.Equal(3, rc.Rejected["stale"]);
        Assert.Equal(1, rc.Rejected["non-finite"]);
        Assert.Equal((40L, 170L, 1.5), (rc.Suspects, rc.UpdatesAccepted, rc.WallSeconds));
    }

    [Fact]
    public void Serializer_must_carry_a_million_floats_bit_exactly_including_special_values()
    {
        var rng = new Random(1);
        var x = new float[1_000_000];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * MathF.Pow(10, rng.Next(-30, 30));
        x[0] = float.NaN;
        x[1] = BitConverter.Int32BitsToSingle(0x7fc00123); // NaN with a payload
        x[2] = float.NegativeInfinity;
        x[3] = -0f;
        x[4] = float.Epsilon;
        var s = Bound(new Update(1, x, 0.5));
        var bytes = s.ToBinary(new Update(42, x, 0.5));
        Assert.Equal(8 + 8 + 4 + 4 * x.Length, bytes.Length);
        var back = (Update)s.FromBinary(bytes, s.Manifest(new Update(42, x, 0.5)));
        Assert.Equal(42, back.Round);
        Assert.Equal(x.Length, back.Vector.Length);
        for (var i = 0; i < x.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(x[i]), BitConverter.SingleToInt32Bits(back.Vector[i]));
    }

    [Fact]
    public void Serializer_must_reject_truncated_bytes_with_a_message_naming_the_field()
    {
        var s = Bound(new Params(1, [1f]));
        var bytes = s.ToBinary(new Params(3, [1f, 2f, 3f]));
        var e = Assert.Throws<SerializationException>(() => s.FromBinary(bytes[..^1], "p"));
        Assert.Contains("'p'", e.Message);
        Assert.Contains("x", e.Message);
        Assert.Throws<SerializationException>(() => s.FromBinary([], "u"));
        Assert.Throws<SerializationException>(() => s.FromBinary([1, 2, 3], "rw"));
    }

    [Fact]
    public void Serializer_must_reject_trailing_bytes_negative_lengths_bad_booleans_and_unknown_manifests()
    {
        var s = Bound(new Params(1, [1f]));
        var bytes = s.ToBinary(new Params(3, [1f]));
        Assert.Contains("trailing", Assert.Throws<SerializationException>(() => s.FromBinary([.. bytes, 0], "p")).Message);

        var negative = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(negative.AsSpan(8), -5);
        Assert.Contains("length -5", Assert.Throws<SerializationException>(() => s.FromBinary(negative, "p")).Message);

        var huge = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(huge.AsSpan(8), int.MaxValue);
        Assert.Throws<SerializationException>(() => s.FromBinary(huge, "p"));

        var rc = s.ToBinary(new RunCompleted(true, "", 1, [], new Dictionary<string, long>(), 0, 0, 0));
        rc[0] = 7;
        Assert.Contains("boolean", Assert.Throws<SerializationException>(() => s.FromBinary(rc, "rc")).Message);

        Assert.Contains("unknown manifest 'zz'", Assert.Throws<SerializationException>(() => s.FromBinary([], "zz")).Message);
        Assert.Throws<ArgumentException>(() => s.ToBinary("not a protocol message"));
    }

    [Fact]
    public void Serializer_must_write_vectors_as_raw_little_endian_floats()
    {
        var s = Bound(new Params(1, [1f]));
        var bytes = s.ToBinary(new Params(0x0102, [1f]));
        Assert.Equal([0x02, 0x01, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x00, 0x80, 0x3f], bytes);
    }
}
