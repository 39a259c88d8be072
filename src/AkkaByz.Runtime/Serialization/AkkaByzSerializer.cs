using System.Runtime.Serialization;
using Akka.Actor;
using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Serialization;

/// <summary>
/// Compact binary serializer for every <see cref="IAkkaByzMessage"/>: little-endian headers (BinaryPrimitives),
/// vectors as raw float32 arrays (one MemoryMarshal block copy), a short string manifest per message type.
/// Akka's default JSON serializer turns 10⁶ floats into ~20 MB and takes seconds; this writes 4 MB in milliseconds,
/// bit-exact (NaN payloads included). Malformed bytes and unknown manifests throw <see cref="SerializationException"/>.
/// Bound in the embedded reference.conf (<c>akka.actor.serializers.akkabyz</c>), identifier <see cref="Id"/>.
/// </summary>
public sealed class AkkaByzSerializer(ExtendedActorSystem system) : WireTableSerializer(system, Table, Id)
{
    /// <summary>Serializer identifier (0–40 are reserved by Akka).</summary>
    public const int Id = WireSerializerIds.Protocol;

    // Manifests: short, stable strings; never reuse one for a different shape.
    internal const string RegisterWorkerManifest = "rw";
    internal const string WorkerRegisteredManifest = "wr";
    internal const string RegistrationRejectedManifest = "rj";
    internal const string ParamsManifest = "p";
    internal const string UpdateManifest = "u";
    internal const string TrainingFinishedManifest = "tf";
    internal const string WatchRunManifest = "wa";
    internal const string RunCompletedManifest = "rc";
    internal const string HonestCopyManifest = "hc";
    internal const string CraftRequestManifest = "cq";
    internal const string CraftedVectorManifest = "cv";
    internal const string EvaluateRequestManifest = "eq";
    internal const string EvaluationResultManifest = "er";

    /// <summary>
    /// The training protocol's wire format: one registration per message (manifest, type, fields written, fields
    /// read in the same order). A new message is one line here and its record in Protocol/Messages.cs.
    /// </summary>
    internal static readonly WireTable Table = new WireTable(nameof(AkkaByzSerializer), "AkkaByz wire")
        .Add<RegisterWorker>(RegisterWorkerManifest, (w, m) => { w.Int32(m.WorkerIndex); w.String(m.Name); },
            (ref WireReader r) => new RegisterWorker(r.Int32("workerIndex"), r.String("name")))
        .Add<WorkerRegistered>(WorkerRegisteredManifest, (w, m) => { w.Int32(m.WorkerIndex); w.Int32(m.Dimension); },
            (ref WireReader r) => new WorkerRegistered(r.Int32("workerIndex"), r.Int32("dimension")))
        .Add<RegistrationRejected>(RegistrationRejectedManifest, (w, m) => { w.Int32(m.WorkerIndex); w.String(m.Reason); },
            (ref WireReader r) => new RegistrationRejected(r.Int32("workerIndex"), r.String("reason")))
        .Add<Params>(ParamsManifest, (w, m) => { w.Int64(m.Round); w.Floats(m.X); },
            (ref WireReader r) => new Params(r.Int64("round"), r.Floats("x")), m => 16 + m.X.Length * 4)
        .Add<Update>(UpdateManifest, (w, m) => { w.Int64(m.Round); w.Double(m.Loss); w.Floats(m.Vector); },
            ReadUpdate, m => 24 + m.Vector.Length * 4)
        .Add<TrainingFinished>(TrainingFinishedManifest, (w, m) => { w.Int64(m.Rounds); w.String(m.Reason); },
            (ref WireReader r) => new TrainingFinished(r.Int64("rounds"), r.String("reason")))
        .AddRaw<WatchRun>(WatchRunManifest, _ => [], (bytes, manifest) =>
        {
            new WireReader(bytes, manifest).End();
            return WatchRun.Instance;
        })
        .Add<RunCompleted>(RunCompletedManifest, WriteRunCompleted, ReadRunCompleted, m => 128 + m.FinalParameters.Length * 4)
        .Add<HonestCopy>(HonestCopyManifest, (w, m) => { w.Int64(m.Round); w.Floats(m.Vector); },
            (ref WireReader r) => new HonestCopy(r.Int64("round"), r.Floats("vector")), m => 16 + m.Vector.Length * 4)
        .Add<CraftRequest>(CraftRequestManifest, (w, m) => { w.Int64(m.Round); w.Int32(m.ByzantineIndex); },
            (ref WireReader r) => new CraftRequest(r.Int64("round"), r.Int32("byzantineIndex")))
        .Add<CraftedVector>(CraftedVectorManifest, (w, m) => { w.Int64(m.Round); w.Floats(m.Vector); },
            (ref WireReader r) => new CraftedVector(r.Int64("round"), r.Floats("vector")), m => 16 + m.Vector.Length * 4)
        .Add<EvaluateRequest>(EvaluateRequestManifest, (w, m) => { w.Int64(m.Round); w.Floats(m.X); },
            (ref WireReader r) => new EvaluateRequest(r.Int64("round"), r.Floats("x")), m => 16 + m.X.Length * 4)
        .Add<EvaluationResult>(EvaluationResultManifest, (w, m) => { w.Int64(m.Round); w.Double(m.Loss); w.Double(m.Accuracy); },
            (ref WireReader r) => new EvaluationResult(r.Int64("round"), r.Double("loss"), r.Double("accuracy")));

    private static Update ReadUpdate(ref WireReader r)
    {
        var round = r.Int64("round");
        var loss = r.Double("loss");
        return new Update(round, r.Floats("vector"), loss);
    }

    private static void WriteRunCompleted(WireWriter w, RunCompleted rc)
    {
        w.Bool(rc.Completed);
        w.String(rc.Reason);
        w.Int64(rc.Rounds);
        w.Floats(rc.FinalParameters);
        w.Int32(rc.Rejected.Count);
        foreach (var (reason, count) in rc.Rejected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.String(reason);
            w.Int64(count);
        }
        w.Int64(rc.Suspects);
        w.Int64(rc.UpdatesAccepted);
        w.Double(rc.WallSeconds);
    }

    private static RunCompleted ReadRunCompleted(ref WireReader r)
    {
        var completed = r.Bool("completed");
        var reason = r.String("reason");
        var rounds = r.Int64("rounds");
        var parameters = r.Floats("finalParameters");
        var n = r.Int32("rejected.count");
        if (n < 0 || n > 1024)
            throw new SerializationException($"AkkaByz wire: malformed 'rc' message: {n} rejection counters.");
        var rejected = new Dictionary<string, long>(n);
        for (var i = 0; i < n; i++)
        {
            var key = r.String("rejected.reason");
            rejected[key] = r.Int64("rejected.count");
        }
        return new RunCompleted(completed, reason, rounds, parameters, rejected, r.Int64("suspects"), r.Int64("updatesAccepted"), r.Double("wallSeconds"));
    }
}
