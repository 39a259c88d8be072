using System.Runtime.Serialization;
using Akka.Actor;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Serialization;
using System.Reflection;
using FsCheck;

namespace AkkaByz.Runtime.Tests.Protocol;

/// <summary>
/// Laws of the wire format over generated messages and generated garbage. Each law is a method whose arguments FsCheck
/// generates (<see cref="Check.Method"/>, what FsCheck.Xunit's [Property] runs; this project is on xunit v3, which the
/// served FsCheck.Xunit.v3 versions pair with a newer xunit.v3 than Akka.Hosting.TestKit's).
/// </summary>
public sealed class SerializerProperties : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-properties", TestConfig.Full);
    private AkkaByzSerializer Serializer => (AkkaByzSerializer)_system.Serialization.FindSerializerForType(typeof(Update));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Checks the law (a public method of this class) on <paramref name="tests"/> generated cases; a counter-example fails the test.</summary>
    private void Holds(string law, int tests) =>
        Check.Method(Config.QuickThrowOnFailure.WithMaxTest(tests), GetType().GetMethod(law, BindingFlags.Public | BindingFlags.Instance)!, this);

    private static bool SameBits(float[] a, float[] b) =>
        a.Length == b.Length && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));

    [Fact]
    public void Updates_round_trip_bit_exactly() => Holds(nameof(Updates_round_trip_bit_exactly_law), 200);

    public bool Updates_round_trip_bit_exactly_law(long round, float[] vector, double loss)
    {
        vector ??= [];
        var s = Serializer;
        var back = (Update)s.FromBinary(s.ToBinary(new Update(round, vector, loss)), s.Manifest(new Update(round, vector, loss)));
        return back.Round == round && SameBits(back.Vector, vector)
            && BitConverter.DoubleToInt64Bits(back.Loss) == BitConverter.DoubleToInt64Bits(loss);
    }

    [Fact]
    public void Registrations_and_results_round_trip() => Holds(nameof(Registrations_and_results_round_trip_law), 200);

    public bool Registrations_and_results_round_trip_law(int index, string? name, bool completed, long rounds, long suspects)
    {
        name ??= "";
        var s = Serializer;
        T Trip<T>(T m) where T : notnull => (T)s.FromBinary(s.ToBinary(m), s.Manifest(m));
        var rc = Trip(new RunCompleted(completed, name, rounds, [1f], new Dictionary<string, long> { [name] = suspects }, suspects, rounds, 0.5));
        return Trip(new RegisterWorker(index, name)) == new RegisterWorker(index, name)
            && rc.Completed == completed && rc.Reason == name && rc.Rejected[name] == suspects && rc.Suspects == suspects;
    }

    [Fact]
    public void Any_byte_string_either_decodes_or_fails_with_a_serialization_exception() => Holds(nameof(Any_byte_string_either_decodes_or_fails_with_a_serialization_exception_law), 500);

    public bool Any_byte_string_either_decodes_or_fails_with_a_serialization_exception_law(byte[] bytes, int manifestChoice)
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

    [Fact]
    public void Every_proper_prefix_of_a_params_message_is_rejected() => Holds(nameof(Every_proper_prefix_of_a_params_message_is_rejected_law), 200);

    public bool Every_proper_prefix_of_a_params_message_is_rejected_law(float[] x, int cut)
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
