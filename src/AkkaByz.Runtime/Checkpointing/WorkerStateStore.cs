using Akka.Actor;
using Akka.Persistence;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// A worker node's optimizer states at checkpoint rounds as snapshots in the checkpoint database's Akka.Persistence.Sql
/// snapshot store (the aggregator's checkpoints' table): persistence id
/// <c>akkabyz-worker-state/KEY/WORKER/slot-I</c> (<see cref="PersistenceIdOf"/>: the checkpoint key and the worker
/// node's own name, both from its own configuration, never from a message), sequence number = round, payload = <see cref="WorkerStateSnapshot"/>'s bytes (SHA-256 and
/// run identity inside, checked on every read). After each save the snapshots older than the last <see cref="Keep"/>
/// checkpoint rounds are deleted. <see cref="Post"/> hands a state to a background writer (a bounded queue: the
/// compute thread never waits for the database; when the database falls behind, the oldest queued state is dropped
/// with a warning), so that a restarted worker node can continue from its own state (<see cref="LoadAsync"/>).
/// Disposing it (the worker node stopping) writes what is still queued, waiting at most <see cref="CloseTimeout"/>.
/// </summary>
public sealed class WorkerStateStore : IAsyncDisposable
{
    /// <summary>Prefix of the persistence ids of worker states.</summary>
    public const string PersistenceIdPrefix = "akkabyz-worker-state/";

    private readonly SnapshotPluginClient _client;
    private readonly Action<string> _warn;
    private readonly int _capacity;
    // The queue, the state in the writer's hands and the pending flushes, all under _gate. Sequence numbers are given
    // in Post order; the writer takes the oldest, and a full queue drops the oldest: so every state older than the
    // oldest one queued or being written is done (written, failed or dropped), which is what a flush waits for.
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly List<(long Through, TaskCompletionSource Done)> _flushes = [];
    private readonly SemaphoreSlim _ready = new(0);
    private long _posted;
    private long _writing; // the sequence number of the state being written, 0 when none
    private bool _closed;
    private bool _abandoned; // closing gave up: nothing more is waited for
    private readonly Task _writer;

    public WorkerStateStore(ActorSystem system, CheckpointDatabase database, string key, string worker, TimeSpan timeout, Action<string>? warn = null,
        int keep = 3, int queue = 4, TimeSpan? closeTimeout = null)
        : this(SnapshotPluginClient.Plugin(system, database), database, key, worker, timeout, warn, keep, queue, closeTimeout)
    {
    }

    /// <summary>The store talking to the snapshot-store plugin <paramref name="plugin"/> (tests put a gate in front of it).</summary>
    internal WorkerStateStore(IActorRef plugin, CheckpointDatabase database, string key, string worker, TimeSpan timeout, Action<string>? warn = null,
        int keep = 3, int queue = 4, TimeSpan? closeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(worker);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queue, 1);
        Database = database;
        Key = key;
        Worker = worker;
        Keep = keep;
        _warn = warn ?? (_ => { });
        _client = new SnapshotPluginClient(plugin, timeout, Location);
        _capacity = queue;
        CloseTimeout = closeTimeout ?? DefaultCloseTimeout;
        _writer = Task.Run(WriteLoop);
    }

    /// <summary>The default <see cref="CloseTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultCloseTimeout = TimeSpan.FromSeconds(5);

    public CheckpointDatabase Database { get; }

    /// <summary>The checkpoint key (<c>akkabyz-cluster.checkpoint-key</c>).</summary>
    public string Key { get; }

    /// <summary>The worker node's own name (<see cref="Cluster.ClusterNodeSettings.WorkerNameOf"/>: its certificate's in mtls mode, else its configured worker-name, else its address).</summary>
    public string Worker { get; }

    /// <summary>How many checkpoint rounds' states are kept per slot.</summary>
    public int Keep { get; }

    /// <summary>For messages: the database (never a password) and the worker.</summary>
    public string Location => $"worker states {Database.Location} ({PersistenceIdPrefix}{Key}/{Worker})";

    /// <summary>The persistence id of this worker's states in <paramref name="slot"/>.</summary>
    public string PersistenceIdOf(int slot) => $"{PersistenceIdPrefix}{Key}/{Worker}/slot-{slot}";

    /// <summary>
    /// Queues the state after <paramref name="round"/> for the background writer (returns at once; never throws for the
    /// database). When the queue is full the oldest queued state is dropped with a warning; after <see cref="DisposeAsync"/>
    /// nothing is queued any more (a warning says so).
    /// </summary>
    public void Post(string runIdentity, int slot, long round, int every, OptimizerState state)
    {
        Pending? dropped = null;
        bool closed;
        lock (_gate)
        {
            closed = _closed;
            if (!closed)
            {
                if (_queue.Count == _capacity) dropped = _queue.Dequeue();
                _queue.Enqueue(new Pending(++_posted, runIdentity, slot, round, every, state));
                if (dropped is null) _ready.Release(); // one signal per queued state (a drop and an add leave the count as it was)
                else CompleteFlushes();
            }
        }
        if (closed) _warn($"{Location}: the store is closed; the optimizer state of slot {slot} round {round} was not saved");
        else if (dropped is not null) _warn($"{Location}: the database is behind; the optimizer state of slot {dropped.Slot} round {dropped.Round} was not saved");
    }

    /// <summary>
    /// Completes when every state posted before the call is done: written, or given up on with a warning (a failed
    /// save, dropped from a full queue, or left when <see cref="CloseAsync"/> gave up). It is no queue item, so a full
    /// queue cannot lose it.
    /// </summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            var through = _posted;
            if (Done(through)) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushes.Add((through, done));
            return done.Task;
        }
    }

    /// <summary>Whether every state with a sequence number up to <paramref name="through"/> is done (under _gate).</summary>
    private bool Done(long through)
    {
        if (_abandoned) return true;
        var oldest = _writing != 0 ? _writing : _queue.Count > 0 ? _queue.Peek().Sequence : long.MaxValue;
        return oldest > through;
    }

    private void CompleteFlushes()
    {
        for (var i = _flushes.Count - 1; i >= 0; i--)
        {
            if (!Done(_flushes[i].Through)) continue;
            _flushes[i].Done.TrySetResult();
            _flushes.RemoveAt(i);
        }
    }

    /// <summary>Saves <paramref name="snapshot"/> and deletes the slot's snapshots older than the last <see cref="Keep"/> checkpoint rounds.</summary>
    /// <exception cref="IOException">The store could not write it (the message names the store).</exception>
    public async Task SaveAsync(WorkerStateSnapshot snapshot, int every)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var id = PersistenceIdOf(snapshot.Slot);
        var metadata = new SnapshotMetadata(id, snapshot.Round, DateTime.UtcNow);
        await _client.SaveAsync(metadata, snapshot.ToBytes(), $"the optimizer state of slot {snapshot.Slot} round {snapshot.Round}").ConfigureAwait(false);
        var oldest = snapshot.Round - (long)Math.Max(every, 1) * (Keep - 1); // the oldest round kept
        if (oldest > 1) await _client.DeleteAsync(id, new SnapshotSelectionCriteria(oldest - 1), "deleting older states").ConfigureAwait(false);
    }

    /// <summary>
    /// This worker's state of <paramref name="slot"/> after <paramref name="round"/> in the run <paramref name="runIdentity"/>,
    /// or null when the store holds none of that round.
    /// </summary>
    /// <exception cref="InvalidDataException">The stored snapshot is corrupt or another run's, worker's, slot's or round's (never to be applied).</exception>
    /// <exception cref="IOException">The store could not be read.</exception>
    public async Task<WorkerStateSnapshot?> LoadAsync(string runIdentity, int slot, long round)
    {
        try
        {
            var criteria = new SnapshotSelectionCriteria(round, DateTime.MaxValue, round);
            var found = await _client.LoadAsync(PersistenceIdOf(slot), criteria, "a worker state").ConfigureAwait(false);
            // The plugin answers the latest at or below the maximum, ignoring the minimum: another round is none of that round.
            if (found is not { } f || f.SequenceNr != round) return null;
            var snapshot = WorkerStateSnapshot.Read(f.Payload);
            snapshot.Check(runIdentity, Worker, slot, round);
            return snapshot;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Location}, slot {slot} round {round}: {e.Message}", e);
        }
    }

    /// <summary>Deletes every state of <paramref name="slot"/> (tests).</summary>
    public Task ClearAsync(int slot) => _client.DeleteAsync(PersistenceIdOf(slot), SnapshotSelectionCriteria.Latest, "delete");

    /// <summary>How long <see cref="DisposeAsync"/> waits for the queued states to be written.</summary>
    public TimeSpan CloseTimeout { get; }

    /// <summary>
    /// Stops taking states and waits at most <paramref name="within"/> until the ones already queued are written (or
    /// given up on singly). True when all are done; false when it gave up on the rest, with one warning saying how many
    /// (they are not written: the node is going).
    /// </summary>
    public async Task<bool> CloseAsync(TimeSpan within)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                _closed = true;
                _ready.Release(); // wakes the writer to see the end once the queue is empty
            }
        }
        if (await Task.WhenAny(_writer, Task.Delay(within)).ConfigureAwait(false) == _writer) return true;
        int left;
        lock (_gate)
        {
            left = _queue.Count + (_writing != 0 ? 1 : 0);
            _queue.Clear(); // the writer ends after the state in its hands
            _abandoned = true;
            CompleteFlushes();
        }
        if (left > 0) _warn($"{Location}: {left} optimizer state{(left == 1 ? "" : "s")} not written within {within.TotalSeconds:0.#} s of stopping; giving up on {(left == 1 ? "it" : "them")}");
        return _writer.IsCompleted || left == 0;
    }

    /// <summary><see cref="CloseAsync"/> within <see cref="CloseTimeout"/>: what is queued when the node stops is written, in bounded time.</summary>
    public async ValueTask DisposeAsync() => await CloseAsync(CloseTimeout).ConfigureAwait(false);

    private async Task WriteLoop()
    {
        while (true)
        {
            await _ready.WaitAsync().ConfigureAwait(false);
            Pending p;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    if (_closed) return;
                    continue;
                }
                p = _queue.Dequeue();
                _writing = p.Sequence;
            }
            try
            {
                await SaveAsync(new WorkerStateSnapshot(p.RunIdentity, Worker, p.Slot, p.Round, p.State), p.Every).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Never the end of the writer: a state it could not write is one warning, and the next one is tried.
                _warn($"{(e is IOException or InvalidOperationException ? e.Message : $"{Location}: {e.GetType().Name}: {e.Message}")} (the state stays in this node's memory)");
            }
            lock (_gate)
            {
                _writing = 0;
                CompleteFlushes();
            }
        }
    }

    private sealed record Pending(long Sequence, string RunIdentity, int Slot, long Round, int Every, OptimizerState State);
}
