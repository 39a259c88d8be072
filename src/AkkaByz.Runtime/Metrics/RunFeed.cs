using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Metrics;

/// <summary>What a run is, as a watcher (the dashboard) shows it: names, size, and the simulated Byzantine workers.</summary>
/// <param name="ByzantineWorkers">The worker indices that run the attack in this simulation (empty when none does); the aggregator never reads this.</param>
/// <param name="FirstRound">1, or the round after a restored checkpoint.</param>
public sealed record RunDescription(
    string Model, string Data, string Attack, string Aggregator, string Optimizer,
    int Workers, int Byzantine, long Rounds, int EvalInterval, IReadOnlyList<int> ByzantineWorkers, long FirstRound = 1)
{
    public static RunDescription From(AkkaByzSettings s, long rounds, long firstRound = 1) => new(
        s.Model, s.Data.Source.ToString(), s.Attack, s.Aggregator, s.Optimizer.Name, s.Workers, s.Byzantine, rounds, s.EvalInterval,
        s.IsNoAttack ? [] : Enumerable.Range(0, s.Workers).Where(s.IsByzantine).ToArray(), firstRound);
}

/// <summary>
/// A cluster node's view of the membership at one moment (the cluster observer's): members up by role, unreachable
/// members, and the event that changed it (<paramref name="FailOver"/>: the run's coordinator moved to another
/// aggregator node).
/// </summary>
public sealed record ClusterObservation(DateTime Utc, int Aggregators, int Workers, int Unreachable, string Event, bool FailOver);

/// <summary>Receives what <see cref="RunFeed"/> publishes; every method has an empty default. Called on actor threads: return quickly.</summary>
public interface IRunFeedListener
{
    void RunStarted(RunDescription run) { }
    void Row(MetricsRow row) { }
    void Cluster(ClusterObservation observation) { }
}

/// <summary>
/// The per-round feed a watcher subscribes to (the dashboard): run start, each completed metrics row (with the
/// suspects by worker), cluster membership changes. Process-wide like the Meter — in a cluster node there is one run
/// per process. Publishing with no subscriber costs a volatile read.
/// </summary>
public static class RunFeed
{
    private static volatile IRunFeedListener[] _listeners = [];
    private static readonly object Gate = new();

    public static bool HasListeners => _listeners.Length > 0;

    /// <summary>Adds a listener until the returned handle is disposed.</summary>
    public static IDisposable Subscribe(IRunFeedListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (Gate) _listeners = [.. _listeners, listener];
        return new Subscription(listener);
    }

    internal static void RunStarted(RunDescription run)
    {
        foreach (var l in _listeners) l.RunStarted(run);
    }

    internal static void Row(MetricsRow row)
    {
        foreach (var l in _listeners) l.Row(row);
    }

    internal static void Cluster(ClusterObservation observation)
    {
        foreach (var l in _listeners) l.Cluster(observation);
    }

    private sealed class Subscription(IRunFeedListener listener) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate) _listeners = _listeners.Where(l => !ReferenceEquals(l, listener)).ToArray();
        }
    }
}
