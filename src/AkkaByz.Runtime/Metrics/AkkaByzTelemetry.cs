using System.Diagnostics.Metrics;
using Akka.Actor;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// The process's <see cref="System.Diagnostics.Metrics.Meter"/> "AkkaByz": what matters per round, recorded where it
/// happens (the metrics sink for the figures of a completed round, the aggregator for deadline fires, the cluster
/// observer for membership), read by whoever listens (the CLI's OpenTelemetry exporters, the dashboard, tests with a
/// <see cref="MeterListener"/>). With no listener a recording costs a branch. Hosting-free: exporters live at the edge.
/// Like every Meter it is process-wide: runs in one process (an experiment's parallel cells) add to the same counters.
/// </summary>
public static class AkkaByzTelemetry
{
    public const string MeterName = "AkkaByz";

    public static readonly Meter Meter = new(MeterName, typeof(AkkaByzTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Rounds = Meter.CreateCounter<long>("akkabyz.rounds", "{round}", "Rounds completed.");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("akkabyz.updates.rejected", "{update}", "Updates rejected, by reason.");
    private static readonly Counter<long> Trimmed = Meter.CreateCounter<long>("akkabyz.worker.trimmed", "{round}", "Rounds in which the rule discarded this worker's update (tag worker).");
    private static readonly Counter<long> Deadlines = Meter.CreateCounter<long>("akkabyz.deadline.fires", "{round}", "Rounds whose barrier was closed by the round deadline.");
    private static readonly Counter<long> FailOvers = Meter.CreateCounter<long>("akkabyz.cluster.failovers", "{failover}", "Times the run's coordinator moved to another aggregator node, as seen by this node.");

    /// <summary>The per-round instruments, one per <see cref="MetricsColumn.All"/> entry with an instrument kind, in column order.</summary>
    private static readonly (MetricsColumn Column, Instrument Instrument)[] RowInstruments =
        [.. MetricsColumn.All.Where(c => c.Kind != MetricsInstrumentKind.None).Select(c => (c, Create(c)))];

    private static volatile ActorSystem? _observed;
    private static volatile ClusterObservation? _cluster;

    static AkkaByzTelemetry()
    {
        Meter.CreateObservableCounter("akkabyz.transport.bytes", TransportBytes, "By", "Vector bytes this node's transport sent and delivered (tag direction).");
        Meter.CreateObservableCounter("akkabyz.transport.vectors", TransportVectors, "{vector}", "Vectors this node's transport sent and delivered (tag direction).");
        Meter.CreateObservableCounter("akkabyz.transport.rejected", TransportRejected, "{frame}", "Incoming vector frames or chunks this node's transport refused, by reason.");
        Meter.CreateObservableCounter("akkabyz.security.refused", SecurityRefused, "{refusal}", "Connections and messages this node refused because of who sent them or how they were framed, by reason.");
        Meter.CreateObservableGauge("akkabyz.cluster.members", ClusterMembers, "{node}", "Cluster members up, by role.");
        Meter.CreateObservableGauge("akkabyz.cluster.unreachable", ClusterUnreachable, "{node}", "Cluster members this node sees as unreachable.");
    }

    /// <summary>The instrument a column is recorded into (its name, unit and description from the column).</summary>
    private static Instrument Create(MetricsColumn c)
    {
        var name = c.Instrument ?? throw new InvalidOperationException($"Metrics column '{c.Name}' has instrument kind {c.Kind} but no instrument name.");
        var description = c.InstrumentDescription ?? c.Description;
        return c.Kind switch
        {
            MetricsInstrumentKind.Counter => Meter.CreateCounter<long>(name, c.Unit, description),
            MetricsInstrumentKind.IntegerGauge => Meter.CreateGauge<long>(name, c.Unit, description),
            MetricsInstrumentKind.Gauge => Meter.CreateGauge<double>(name, c.Unit, description),
            MetricsInstrumentKind.Histogram => Meter.CreateHistogram<double>(name, c.Unit, description),
            _ => throw new InvalidOperationException($"Metrics column '{c.Name}': unknown instrument kind {c.Kind}."),
        };
    }

    /// <summary>
    /// The figures of one completed round (or evaluation-only row), as the metrics sink completes it: every column of
    /// <see cref="MetricsColumn.All"/> with an instrument, its finite value (a completed round's row only, unless the
    /// column is recorded from every row), then the rounds counter and the tagged counters (rejections by reason,
    /// trimmed workers), which read the row's lists rather than a column.
    /// </summary>
    public static void RecordRow(MetricsRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var isRound = row.Round != 0 && !double.IsNaN(row.RoundMs); // not the starting point nor an evaluation-only row
        foreach (var (column, instrument) in RowInstruments)
        {
            if (!instrument.Enabled || (!isRound && !column.EveryRow)) continue;
            var v = column.Value(row);
            if (!double.IsFinite(v)) continue;
            switch (instrument)
            {
                case Counter<long> counter: counter.Add((long)v); break;
                case Gauge<long> gauge: gauge.Record((long)v); break;
                case Gauge<double> gauge: gauge.Record(v); break;
                case Histogram<double> histogram: histogram.Record(v); break;
            }
        }
        if (!isRound) return;
        Rounds.Add(1);
        if (Trimmed.Enabled)
            foreach (var worker in row.SuspectWorkers) Trimmed.Add(1, new KeyValuePair<string, object?>("worker", WorkerTag(worker)));
        if (row.RejectedByReason is { } reasons && Rejected.Enabled)
            foreach (var (reason, count) in reasons) Rejected.Add(count, new KeyValuePair<string, object?>("reason", reason));
    }

    private static object[] _workerTags = [];

    /// <summary>The boxed worker index, boxed once per worker (a tag per suspect per round would allocate).</summary>
    private static object WorkerTag(int worker)
    {
        var tags = _workerTags;
        if ((uint)worker < (uint)tags.Length) return tags[worker];
        var grown = new object[Math.Max(worker + 1, 2 * tags.Length)];
        tags.CopyTo(grown, 0);
        for (var i = tags.Length; i < grown.Length; i++) grown[i] = i;
        _workerTags = grown;
        return grown[worker];
    }

    /// <summary>The aggregator's round deadline closed a barrier.</summary>
    public static void DeadlineFired() => Deadlines.Add(1);

    /// <summary>The run's coordinator moved to another aggregator node.</summary>
    public static void FailOver() => FailOvers.Add(1);

    /// <summary>The actor system whose transport and security counters the observable instruments read (a cluster node's).</summary>
    public static void Observe(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        _observed = system;
        system.RegisterOnTermination(() => { if (ReferenceEquals(_observed, system)) _observed = null; });
    }

    /// <summary>The latest membership view (the cluster observer's).</summary>
    internal static void Cluster(ClusterObservation observation) => _cluster = observation;

    private static VectorTransportSnapshot? Transport() =>
        _observed is { WhenTerminated.IsCompleted: false } s ? VectorTransport.Get(s).Stats.Snapshot() : null;

    private static IEnumerable<Measurement<long>> TransportBytes()
    {
        if (Transport() is not { } t) yield break;
        yield return new(t.SentBytes, new KeyValuePair<string, object?>("direction", "sent"));
        yield return new(t.DeliveredBytes, new KeyValuePair<string, object?>("direction", "delivered"));
    }

    private static IEnumerable<Measurement<long>> TransportVectors()
    {
        if (Transport() is not { } t) yield break;
        yield return new(t.Sent, new KeyValuePair<string, object?>("direction", "sent"));
        yield return new(t.Delivered, new KeyValuePair<string, object?>("direction", "delivered"));
        yield return new(t.SendFailures, new KeyValuePair<string, object?>("direction", "failed"));
    }

    private static IEnumerable<Measurement<long>> TransportRejected()
    {
        if (Transport() is not { } t) yield break;
        foreach (var (reason, count) in t.Rejected) yield return new(count, new KeyValuePair<string, object?>("reason", reason));
    }

    private static IEnumerable<Measurement<long>> SecurityRefused()
    {
        if (_observed is not { WhenTerminated.IsCompleted: false } s) yield break;
        var (byReason, _) = NodeSecurity.Get(s).Refusals();
        foreach (var (reason, count) in byReason) yield return new(count, new KeyValuePair<string, object?>("reason", reason));
    }

    private static IEnumerable<Measurement<int>> ClusterMembers()
    {
        if (_cluster is not { } c) yield break;
        yield return new(c.Aggregators, new KeyValuePair<string, object?>("role", "aggregator"));
        yield return new(c.Workers, new KeyValuePair<string, object?>("role", "worker"));
    }

    private static IEnumerable<Measurement<int>> ClusterUnreachable()
    {
        if (_cluster is { } c) yield return new(c.Unreachable);
    }
}
