using System.Runtime.Serialization;
using Akka.Actor;
using AkkaByz.Runtime.Serialization;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Binary serializer for the cluster-mode messages (<see cref="IAkkaByzClusterMessage"/>, all in ClusterMessages.cs):
/// the same little-endian wire primitives as <see cref="AkkaByzSerializer"/>; malformed bytes throw
/// <see cref="SerializationException"/>. The vector transport's messages have their own serializer
/// (<see cref="Transport.TransportSerializer"/>).
/// </summary>
public sealed class ClusterProtocolSerializer(ExtendedActorSystem system) : WireTableSerializer(system, Table, Id)
{
    /// <summary>Serializer identifier (0–40 are Akka's; see <see cref="WireSerializerIds"/>).</summary>
    public const int Id = WireSerializerIds.Cluster;

    internal const string JoinRunManifest = "cj";
    internal const string RunAssignmentManifest = "ca";
    internal const string JoinRefusedManifest = "cr";
    internal const string RunFinishedManifest = "cf";

    /// <summary>The cluster messages' wire format: one registration per message (manifest, type, write, read).</summary>
    internal static readonly WireTable Table = new WireTable(nameof(ClusterProtocolSerializer), "AkkaByz cluster wire")
        .Add<JoinRun>(JoinRunManifest, (w, m) => { w.String(m.Name); w.Int32(m.PreviousIndex); w.String(m.Incarnation); },
            (ref WireReader r) => new JoinRun(r.String("name"), r.Int32("previousIndex"), r.String("incarnation")))
        .Add<RunAssignment>(RunAssignmentManifest, WriteAssignment, ReadAssignment, m => 256 + m.ConfigLayers.Sum(l => l.Length * 3))
        .Add<JoinRefused>(JoinRefusedManifest, (w, m) => w.String(m.Reason),
            (ref WireReader r) => new JoinRefused(r.String("reason")))
        .Add<RunFinished>(RunFinishedManifest, (w, m) => { w.Bool(m.Completed); w.String(m.Reason); },
            (ref WireReader r) => new RunFinished(r.Bool("completed"), r.String("reason")));

    private static void WriteAssignment(WireWriter w, RunAssignment a)
    {
        w.String(a.Incarnation);
        w.Int32(a.WorkerIndex);
        w.Int32(a.ConfigLayers.Count);
        foreach (var layer in a.ConfigLayers) w.String(layer);
        w.Int32(a.Dimension);
        w.String(a.TapPath);
        w.Int64(a.ResumeRound);
        w.Int32(a.SnapshotEvery);
    }

    private static RunAssignment ReadAssignment(ref WireReader r)
    {
        var incarnation = r.String("incarnation");
        var index = r.Int32("workerIndex");
        var n = r.Int32("configLayers.count");
        if (n is < 0 or > 1024) throw new SerializationException($"AkkaByz cluster wire: malformed 'ca' message: {n} config layers.");
        var layers = new string[n];
        for (var i = 0; i < n; i++) layers[i] = r.String("configLayer");
        return new RunAssignment(incarnation, index, layers, r.Int32("dimension"), r.String("tapPath"), r.Int64("resumeRound"), r.Int32("snapshotEvery"));
    }
}
