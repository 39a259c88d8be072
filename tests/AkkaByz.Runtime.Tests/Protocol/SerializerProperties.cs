using System.Runtime.Serialization;
using Akka.Actor;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Serialization;
using FsCheck.Xunit;

namespace AkkaByz.Runtime.Tests.Protocol;

/// <summary>Laws of the wire format over generated messages and generated garbage.</summary>
public sealed class SerializerProperties : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-properties", TestConfig.Full);
    private AkkaByzSerializer Serializer => (AkkaByzSerializer)_system.Serialization.FindSerializerForType(typeof(Update));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static bool SameBits(float[] a, float[] b) =>
        a.Length == b.Length && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));

    [Property(MaxTest = 200)]
    public bool Updates_round_trip_bit_exactly(long round, float[] vector, double loss)
    {
        vector ??= [];
        var s = Serializer;
        var back = (Update)s.FromBinary(s.ToBinary(new Update(round, vector, loss)), s.Manifest(new Update(round, vector, loss)));
        return back.Round == round && SameBits(back.Vector, vector)
            && BitConverter.DoubleToInt64Bits(back.Loss) == BitConverter.DoubleToInt64Bits(loss);
    }

    [Property(MaxTest = 200)]
    public bool Registrations_and_results_round_trip(int index, string? name, bool completed, long rounds, long suspects)
    {
        name ??= "";
        var s = Serializer;
        T Trip<T>(T m) where T : notnull => (T)s.FromBinary(s.ToBinary(m), s.Manifest(m));
        var rc = Trip(new RunCompleted(completed, name, rounds, [1f], new Dictionary<string, long> { [name] = suspects }, suspects, rounds, 0.5));
        return Trip(new RegisterWorker(index, name)) == new RegisterWorker(index, name)
            && rc.Completed == completed && rc.Reason == name && rc.Rejected[name] == suspects && rc.Suspects == suspects;
    }

    [Property(MaxTest = 500)]
    public bool Any_byte_string_either_decodes_or_fails_with_a_serialization_exception(byte[] bytes, int manifestChoice)
    {
        bytes ??= [];
        string[] manifests = ["p", "u", "rw", "wr", "rj", "tf", "wa", "rc", "hc", "cq", "cv", "eq", "er", "??"];
        var manifest = manifests[(int)((uint)manifestChoice % manifests.Length)];
        try
        {
            Serializer.FromBinary(bytes, manifest);
            return true;
        }
        catch (SerializationException)
        {
            return true;
        }
    }

    [Property(MaxTest = 200)]
    public bool Every_proper_prefix_of_a_params_message_is_rejected(float[] x, int cut)
    {
        x ??= [];
        var s = Serializer;
        var bytes = s.ToBinary(new Params(1, x));
        var length = (int)((uint)cut % (uint)bytes.Length);
        try
        {
            s.FromBinary(bytes[..length], "p");
            return false;
        }
        catch (SerializationException)
        {
            return true;
        }
    }
}
