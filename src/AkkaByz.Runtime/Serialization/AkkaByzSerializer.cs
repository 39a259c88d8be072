using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Serialization;

/// <summary>
/// Compact binary serializer for every <see cref="IAkkaByzMessage"/>: little-endian headers (BinaryPrimitives),
/// vectors as raw float32 arrays (one MemoryMarshal block copy), a short string manifest per message type.
/// Akka's default JSON serializer turns 10⁶ floats into ~20 MB and takes seconds; this writes 4 MB in milliseconds,
/// bit-exact (NaN payloads included). Malformed bytes and unknown manifests throw <see cref="SerializationException"/>.
/// Bound in the embedded reference.conf (<c>akka.actor.serializers.akkabyz</c>), identifier <see cref="Id"/>.
/// </summary>
public sealed class AkkaByzSerializer : SerializerWithStringManifest, IWireCodec
{
    public AkkaByzSerializer(ExtendedActorSystem system) : base(system)
    {
        WireCodecs.Register(system, Id, this);
    }

    /// <summary>Serializer identifier (0–40 are reserved by Akka).</summary>
    public const int Id = WireSerializerIds.Protocol;

    public override int Identifier => Id;

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

    public override string Manifest(object o) => Table.Manifest(o);

    /// <summary>
    /// Akka's entry point (Akka.Remote, serialize-messages). In mode = mtls a protocol message must never leave through
    /// Akka.Remote, where its sender would not be proven: this throws (a send that bypassed the vector carrier is a bug).
    /// </summary>
    public override byte[] ToBinary(object obj)
    {
        if (Security.RemoteInbound.IsGuarded(system))
            throw new SerializationException($"{obj?.GetType().Name} must travel through the vector carrier in mode = mtls (akkabyz-cluster.security), not through Akka.Remote.");
        return Encode(obj!);
    }

    /// <summary>The wire form of <paramref name="obj"/> (the vector carrier calls this directly).</summary>
    internal byte[] Encode(object obj) => Table.Encode(obj);

    byte[] IWireCodec.Encode(object message) => Encode(message);

    object IWireCodec.Decode(byte[] bytes, string manifest) => Decode(bytes, manifest);

    /// <summary>
    /// Akka's entry point: in mode = mtls every protocol message that arrives through Akka.Remote is refused (counted,
    /// replaced by <see cref="Security.RefusedRemoteMessage"/>, which no actor handles): between nodes they travel only
    /// on the certificate-checked vector carrier, which calls <see cref="Decode"/>.
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (Security.RemoteInbound.IsGuarded(system))
            return Security.RemoteInbound.Refuse(system, manifest);
        return Decode(bytes, manifest);
    }

    /// <summary>Rebuilds a message from its wire form (the vector carrier calls this directly).</summary>
    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    internal object Decode(byte[] bytes, string manifest) => Table.Decode(bytes, manifest);

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
