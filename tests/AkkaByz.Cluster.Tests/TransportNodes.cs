using System.Runtime.InteropServices;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Cluster.Tests;

/// <summary>What a <see cref="TransportNodes.Sink"/> received: the message, its sender as resolved there, and that sender's full path.</summary>
public sealed record Received(object Message, IActorRef Sender, string SenderPath);

/// <summary>
/// Two in-process Akka.Remote actor systems (A and B) on 127.0.0.1, port 0, with the given <c>akkabyz-transport</c>
/// overrides over the embedded defaults, and the helpers the transport specs share: sinks that record what they
/// receive, waiting for counters, bit-exact comparison.
/// </summary>
public sealed class TransportNodes : IDisposable
{
    public TransportNodes(string transportOverrides)
    {
        A = Node("nodeA", transportOverrides);
        B = Node("nodeB", transportOverrides);
    }

    /// <summary>A remote actor system on 127.0.0.1 (any free port) with its vector transport started.</summary>
    public static ActorSystem Node(string name, string transportOverrides)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            {{transportOverrides}}
            """).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference);
        var system = ActorSystem.Create(name, config);
        VectorTransport.Get(system);
        return system;
    }

    public ActorSystem A { get; }

    public ActorSystem B { get; }

    public static Address AddressOf(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    /// <summary>The full path of <paramref name="actor"/> with address and uid, as the node it lives on writes it.</summary>
    public static string FullPath(IActorRef actor) => Akka.Serialization.Serialization.SerializedActorPath(actor);

    /// <summary>An actor on <paramref name="system"/> that records every message it gets.</summary>
    public static (IActorRef Actor, ChannelReader<Received> Inbox) Sink(ActorSystem system, string name)
    {
        var channel = Channel.CreateUnbounded<Received>();
        var actor = system.ActorOf(Props.Create(() => new SinkActor(channel.Writer)), name);
        return (actor, channel.Reader);
    }

    /// <summary>A recording actor under <c>/system</c> (to stand in for a carrier's system actor).</summary>
    public static (IActorRef Actor, ChannelReader<Received> Inbox) SystemSink(ActorSystem system, string name)
    {
        var channel = Channel.CreateUnbounded<Received>();
        var actor = ((ExtendedActorSystem)system).SystemActorOf(Props.Create(() => new SinkActor(channel.Writer)), name);
        return (actor, channel.Reader);
    }

    /// <summary><paramref name="local"/> (an actor of <paramref name="owner"/>) as a remote reference from <paramref name="from"/>.</summary>
    public static async Task<IActorRef> RemoteRef(ActorSystem from, ActorSystem owner, IActorRef local) =>
        await from.ActorSelection(local.Path.ToStringWithAddress(AddressOf(owner))).ResolveOne(TimeSpan.FromSeconds(10));

    public static async Task<Received> Next(ChannelReader<Received> inbox, double seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await inbox.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing arrived within {seconds} s");
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (or fails after <paramref name="seconds"/>, saying <paramref name="what"/>).</summary>
    public static async Task Eventually(Func<bool> condition, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {seconds} s: {what}");
            await Task.Delay(25);
        }
    }

    public static long Rejected(ActorSystem system, string reason) =>
        VectorTransport.Get(system).Stats.Snapshot().Rejected.GetValueOrDefault(reason);

    /// <summary>A vector of <paramref name="n"/> floats from <paramref name="seed"/>, with a NaN, a −0 and an infinity (bit patterns must survive).</summary>
    public static float[] Vector(int n, int seed)
    {
        var random = new Random(seed);
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        if (n > 3)
        {
            v[1] = float.NaN;
            v[2] = -0f;
            v[n - 1] = float.PositiveInfinity;
        }
        return v;
    }

    public static void AssertBitExact(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = MemoryMarshal.Cast<float, int>(expected.AsSpan());
        var a = MemoryMarshal.Cast<float, int>(actual.AsSpan());
        for (var i = 0; i < e.Length; i++)
            if (e[i] != a[i]) Assert.Fail($"float {i} differs: 0x{e[i]:X8} sent, 0x{a[i]:X8} received");
    }

    public void Dispose()
    {
        Task.WaitAll(A.Terminate(), B.Terminate());
    }

    private sealed class SinkActor : ReceiveActor
    {
        public SinkActor(ChannelWriter<Received> writer) =>
            ReceiveAny(m => writer.TryWrite(new Received(m, Sender, FullPath(Sender))));
    }
}
