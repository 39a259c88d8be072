using System.Threading.Channels;
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

/// <summary>Receives what <see cref="RunFeed"/> publishes; every method has an empty default. Called on the feed's own delivery task, in publication order, never on an actor thread.</summary>
public interface IRunFeedListener
{
    void RunStarted(RunDescription run) { }
    void Row(MetricsRow row) { }
    void Cluster(ClusterObservation observation) { }
}

/// <summary>
/// The per-round feed a watcher subscribes to (the dashboard): run start, each completed metrics row (with the
/// suspects by worker), cluster membership changes. Process-wide like the Meter — in a cluster node there is one run
/// per process. Publishing with no subscriber costs a volatile read; with subscribers it is one write into a bounded
/// queue (<see cref="Capacity"/> items; beyond it an item is dropped and counted in <see cref="Dropped"/>), delivered
/// to the listeners in order by one task off the actor threads, so a slow listener never slows a round.
/// </summary>
public static class RunFeed
{
    public const int Capacity = 16_384;

    private static volatile IRunFeedListener[] _listeners = [];
    private static readonly object Gate = new();
    private static readonly Channel<object> Queue = Channel.CreateBounded<object>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private static Task? _delivery;
    private static long _published, _delivered, _dropped;

    public static bool HasListeners => _listeners.Length > 0;

    /// <summary>Items not delivered because the queue was full (a listener far behind).</summary>
    public static long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Adds a listener until the returned handle is disposed.</summary>
    public static IDisposable Subscribe(IRunFeedListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (Gate)
        {
            _listeners = [.. _listeners, listener];
            _delivery ??= Task.Factory.StartNew(Deliver, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
        return new Subscription(listener);
    }

    /// <summary>Waits until everything published so far has been delivered (or <paramref name="timeout"/> passed): e.g. before saying a run is over.</summary>
    public static async Task DrainAsync(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _published);
        var deadline = DateTime.UtcNow + timeout;
        while (Interlocked.Read(ref _delivered) + Interlocked.Read(ref _dropped) < target && DateTime.UtcNow < deadline)
            await Task.Delay(5).ConfigureAwait(false);
    }

    internal static void RunStarted(RunDescription run) => Publish(run);

    internal static void Row(MetricsRow row) => Publish(row);

    internal static void Cluster(ClusterObservation observation) => Publish(observation);

    private static void Publish(object item)
    {
        if (_listeners.Length == 0) return;
        Interlocked.Increment(ref _published);
        if (!Queue.Writer.TryWrite(item)) Interlocked.Increment(ref _dropped);
    }

    private static async Task Deliver()
    {
        await foreach (var item in Queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            foreach (var l in _listeners)
            {
                try
                {
                    switch (item)
                    {
                        case MetricsRow row: l.Row(row); break;
                        case RunDescription run: l.RunStarted(run); break;
                        case ClusterObservation o: l.Cluster(o); break;
                    }
                }
                catch (Exception e)
                {
                    System.Diagnostics.Trace.TraceWarning($"Run feed listener failed: {e.Message}");
                }
            }
            Interlocked.Increment(ref _delivered);
        }
    }

    private sealed class Subscription(IRunFeedListener listener) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate) _listeners = _listeners.Where(l => !ReferenceEquals(l, listener)).ToArray();
        }
    }
}
