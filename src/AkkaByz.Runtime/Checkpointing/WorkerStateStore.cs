using System.Threading.Channels;
using Akka.Actor;
using Akka.Persistence;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// A worker node's optimizer states at checkpoint rounds as snapshots in the checkpoint database's Akka.Persistence.Sql
/// snapshot store (the aggregator's checkpoints' table): persistence id
/// <c>akkabyz-worker-state/KEY/WORKER/slot-I</c> (<see cref="PersistenceIdOf"/>: the checkpoint key and the worker's
/// authenticated name), sequence number = round, payload = <see cref="WorkerStateSnapshot"/>'s bytes (SHA-256 and
/// run identity inside, checked on every read). After each save the snapshots older than the last <see cref="Keep"/>
/// checkpoint rounds are deleted. <see cref="Post"/> hands a state to a background writer (a bounded queue: the
/// compute thread never waits for the database; when the database falls behind, the oldest queued state is dropped
/// with a warning), so that a restarted worker node can continue from its own state (<see cref="LoadAsync"/>).
/// </summary>
public sealed class WorkerStateStore : IAsyncDisposable
{
    /// <summary>Prefix of the persistence ids of worker states.</summary>
    public const string PersistenceIdPrefix = "akkabyz-worker-state/";

    private readonly IActorRef _plugin;
    private readonly TimeSpan _timeout;
    private readonly Action<string> _warn;
    private readonly Channel<Pending> _queue;
    private readonly Task _writer;

    public WorkerStateStore(ActorSystem system, CheckpointDatabase database, string key, string worker, TimeSpan timeout, Action<string>? warn = null,
        int keep = 3, int queue = 4)
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
        _timeout = timeout;
        _warn = warn ?? (_ => { });
        _plugin = SnapshotCheckpointStore.Plugin(system, database);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(queue) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => _warn($"{Location}: the database is behind; the optimizer state of slot {dropped.Slot} round {dropped.Round} was not saved"));
        _writer = Task.Run(WriteLoop);
    }

    public CheckpointDatabase Database { get; }

    /// <summary>The checkpoint key (<c>akkabyz-cluster.checkpoint-key</c>).</summary>
    public string Key { get; }

    /// <summary>The worker's authenticated name (certificate name in mtls mode, else its address).</summary>
    public string Worker { get; }

    /// <summary>How many checkpoint rounds' states are kept per slot.</summary>
    public int Keep { get; }

    /// <summary>For messages: the database (never a password) and the worker.</summary>
    public string Location => $"worker states {Database.Location} ({PersistenceIdPrefix}{Key}/{Worker})";

    /// <summary>The persistence id of this worker's states in <paramref name="slot"/>.</summary>
    public string PersistenceIdOf(int slot) => $"{PersistenceIdPrefix}{Key}/{Worker}/slot-{slot}";

    /// <summary>Queues the state after <paramref name="round"/> for the background writer (returns at once; never throws for the database).</summary>
    public void Post(string runIdentity, int slot, long round, int every, OptimizerState state) =>
        _queue.Writer.TryWrite(new Pending(runIdentity, slot, round, every, state));

    /// <summary>Waits until every queued state is written (tests, and before the node exits).</summary>
    public async Task FlushAsync()
    {
        var done = new Pending("", -1, -1, 0, null!, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        while (!_queue.Writer.TryWrite(done)) await Task.Delay(10).ConfigureAwait(false);
        await done.Flushed!.Task.ConfigureAwait(false);
    }

    /// <summary>Saves <paramref name="snapshot"/> and deletes the slot's snapshots older than the last <see cref="Keep"/> checkpoint rounds.</summary>
    /// <exception cref="IOException">The store could not write it (the message names the store).</exception>
    public async Task SaveAsync(WorkerStateSnapshot snapshot, int every)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var id = PersistenceIdOf(snapshot.Slot);
        var metadata = new SnapshotMetadata(id, snapshot.Round, DateTime.UtcNow);
        switch (await Ask(new SaveSnapshot(metadata, snapshot.ToBytes()), "save").ConfigureAwait(false))
        {
            case SaveSnapshotSuccess:
                break;
            case SaveSnapshotFailure f:
                throw new IOException($"{Location}: the optimizer state of slot {snapshot.Slot} round {snapshot.Round} was not saved: {f.Cause.Message}", f.Cause);
            case var other:
                throw new IOException($"{Location}: unexpected answer to a save: {other}");
        }
        var oldest = snapshot.Round - (long)Math.Max(every, 1) * (Keep - 1); // the oldest round kept
        if (oldest > 1)
        {
            var answer = await Ask(new DeleteSnapshots(id, new SnapshotSelectionCriteria(oldest - 1)), "delete").ConfigureAwait(false);
            if (answer is DeleteSnapshotsFailure d) throw new IOException($"{Location}: deleting older states failed: {d.Cause.Message}", d.Cause);
        }
    }

    /// <summary>
    /// This worker's state of <paramref name="slot"/> after <paramref name="round"/> in the run <paramref name="runIdentity"/>,
    /// or null when the store holds none of that round.
    /// </summary>
    /// <exception cref="InvalidDataException">The stored snapshot is corrupt or another run's, worker's, slot's or round's (never to be applied).</exception>
    /// <exception cref="IOException">The store could not be read.</exception>
    public async Task<WorkerStateSnapshot?> LoadAsync(string runIdentity, int slot, long round)
    {
        var criteria = new SnapshotSelectionCriteria(round, DateTime.MaxValue, round);
        switch (await Ask(new LoadSnapshot(PersistenceIdOf(slot), criteria, long.MaxValue), "load").ConfigureAwait(false))
        {
            case LoadSnapshotResult { Snapshot: null }:
                return null;
            case LoadSnapshotResult { Snapshot.Metadata.SequenceNr: var stored } when stored != round:
                return null; // the plugin answers the latest at or below the maximum, ignoring the minimum: none of that round
            case LoadSnapshotResult { Snapshot: { Snapshot: byte[] payload } }:
                try
                {
                    var snapshot = WorkerStateSnapshot.Read(payload);
                    snapshot.Check(runIdentity, Worker, slot, round);
                    return snapshot;
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{Location}, slot {slot} round {round}: {e.Message}", e);
                }
            case LoadSnapshotResult r:
                throw new InvalidDataException($"{Location}, slot {slot} round {round}: the snapshot is a {r.Snapshot.Snapshot?.GetType().Name ?? "null"}, not a worker state's bytes.");
            case LoadSnapshotFailed f:
                throw new IOException($"{Location}: the optimizer state could not be loaded: {f.Cause.Message}", f.Cause);
            case var other:
                throw new IOException($"{Location}: unexpected answer to a load: {other}");
        }
    }

    /// <summary>Deletes every state of <paramref name="slot"/> (tests).</summary>
    public async Task ClearAsync(int slot)
    {
        var answer = await Ask(new DeleteSnapshots(PersistenceIdOf(slot), SnapshotSelectionCriteria.Latest), "delete").ConfigureAwait(false);
        if (answer is DeleteSnapshotsFailure d) throw new IOException($"{Location}: delete failed: {d.Cause.Message}", d.Cause);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoop()
    {
        await foreach (var p in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (p.Flushed is { } flushed)
            {
                flushed.TrySetResult();
                continue;
            }
            try
            {
                await SaveAsync(new WorkerStateSnapshot(p.RunIdentity, Worker, p.Slot, p.Round, p.State), p.Every).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                _warn($"{e.Message} (the state stays in this node's memory)");
            }
        }
    }

    private async Task<object> Ask(object message, string what)
    {
        try
        {
            return await _plugin.Ask<object>(message, _timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new IOException($"{Location}: the snapshot store did not answer a {what} within {_timeout.TotalSeconds:0} s (is the database reachable?)", e);
        }
    }

    private sealed record Pending(string RunIdentity, int Slot, long Round, int Every, OptimizerState State, TaskCompletionSource? Flushed = null);
}
