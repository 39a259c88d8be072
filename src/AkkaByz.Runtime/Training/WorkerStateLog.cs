using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Training;

/// <summary>
/// A worker's optimizer state at the aggregator's checkpoint rounds, kept by its node so that after an aggregator
/// fail-over — the standby resumes at checkpoint round R + 1 — the worker resumes from its own state at R too, and
/// the run continues exactly as if nothing had happened (momentum included). Holds the last
/// <see cref="Capacity"/> snapshots; thread-safe (written from the compute thread, read by the node actor).
/// </summary>
public sealed class WorkerStateLog(int every, int capacity = 3)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, OptimizerState> _states = [];

    /// <summary>Snapshot after every round that is a multiple of this (the checkpoint interval); 0 = never.</summary>
    public int Every { get; } = every >= 0 ? every : throw new ArgumentOutOfRangeException(nameof(every), every, "must be 0 or more");

    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be at least 1");

    /// <summary>True when the state after <paramref name="round"/> should be recorded.</summary>
    public bool Wants(long round) => Every > 0 && round > 0 && round % Every == 0;

    /// <summary>Records the state after <paramref name="round"/>, forgetting the oldest beyond <see cref="Capacity"/>.</summary>
    public void Record(long round, OptimizerState state)
    {
        lock (_gate)
        {
            _states[round] = state;
            while (_states.Count > Capacity) _states.Remove(_states.Keys.First());
        }
        Recorded?.Invoke(round, state);
    }

    /// <summary>
    /// Called after each <see cref="Record"/> on the recording (compute) thread: must only hand the state on, e.g. to
    /// <see cref="Checkpointing.WorkerStateStore.Post"/>. States are immutable values, so they may be kept.
    /// </summary>
    public Action<long, OptimizerState>? Recorded { get; set; }

    /// <summary>Adds a state read back from a checkpoint database (a restarted node), unless one of that round is held.</summary>
    public void Restored(long round, OptimizerState state)
    {
        lock (_gate)
        {
            _states.TryAdd(round, state);
            while (_states.Count > Capacity) _states.Remove(_states.Keys.First());
        }
    }

    /// <summary>The state recorded after <paramref name="round"/>, if still held.</summary>
    public bool TryGet(long round, out OptimizerState state)
    {
        lock (_gate)
            return _states.TryGetValue(round, out state!);
    }

    /// <summary>Rounds held, oldest first (diagnostics).</summary>
    public IReadOnlyList<long> Rounds
    {
        get
        {
            lock (_gate) return [.. _states.Keys];
        }
    }
}
