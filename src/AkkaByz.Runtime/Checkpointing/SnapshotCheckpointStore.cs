using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// Checkpoints as snapshots in Akka.Persistence.Sql (linq2db): SQLite or PostgreSQL. The coordinator talks to the
/// snapshot-store plugin actor directly (<see cref="SaveSnapshot"/>, <see cref="LoadSnapshot"/>,
/// <see cref="DeleteSnapshots"/>) rather than becoming a persistent actor: a checkpoint is not an event-sourced state
/// (there is no journal to replay, and the singleton's incarnations must not fight over one persistence id's journal
/// sequence), it is one self-contained value written every k rounds. The payload is the checkpoint's own binary bytes
/// (<see cref="Checkpoint.Write"/>: the SHA-256 and the run's identity travel inside it and are checked on every
/// read), stored by Akka's byte-array serializer as they are. The sequence number is the round (the completed
/// checkpoint has the run's last round, the highest), so the latest snapshot is the newest state; after a save the
/// older ones are deleted, so the table holds one row per run key.
/// The plugin's configuration is made at run time (the SQLite file is inside the run's output folder, known only when
/// the run starts) under a path of its own and added with <c>InjectTopLevelFallback</c>.
/// </summary>
public sealed class SnapshotCheckpointStore : ICheckpointStore
{
    private static int _plugins;
    private readonly IActorRef _plugin;
    private readonly TimeSpan _timeout;

    public SnapshotCheckpointStore(ActorSystem system, CheckpointDatabase database, TimeSpan timeout)
    {
        Database = database;
        _timeout = timeout;
        _plugin = Plugin(system, database);
    }

    /// <summary>A new Akka.Persistence.Sql snapshot-store plugin in <paramref name="system"/> for <paramref name="database"/>.</summary>
    internal static IActorRef Plugin(ActorSystem system, CheckpointDatabase database)
    {
        var persistence = Persistence.Instance.Apply(system); // its reference config (plugin dispatcher) first
        var id = $"akkabyz-checkpoint-stores.store-{Interlocked.Increment(ref _plugins)}";
        system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString($$"""
            {{id}} {
              class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
              plugin-id = "{{id}}"
              plugin-dispatcher = "akka.persistence.dispatchers.default-plugin-dispatcher"
              connection-string = {{AkkaByzConfig.Quote(database.ConnectionString)}}
              provider-name = {{AkkaByzConfig.Quote(database.ProviderName)}}
              table-mapping = {{database.TableMapping}}
              auto-initialize = on
              warn-on-auto-init-fail = on
            }
            """));
        return persistence.SnapshotStoreFor(id);
    }

    public CheckpointDatabase Database { get; }

    public string Location => Database.Location;

    public async Task SaveAsync(Checkpoint checkpoint)
    {
        using var bytes = new MemoryStream();
        checkpoint.Write(bytes);
        var metadata = new SnapshotMetadata(Database.PersistenceId, checkpoint.Round, DateTime.UtcNow);
        switch (await Ask(new SaveSnapshot(metadata, bytes.ToArray()), "save"))
        {
            case SaveSnapshotSuccess:
                break;
            case SaveSnapshotFailure f:
                throw new IOException($"{Location}: the snapshot of round {checkpoint.Round} was not saved: {f.Cause.Message}", f.Cause);
            case var other:
                throw new IOException($"{Location}: unexpected answer to a save: {other}");
        }
        if (checkpoint.Round > 0) await Delete(new SnapshotSelectionCriteria(checkpoint.Round - 1), "delete older snapshots");
    }

    public async Task<Checkpoint?> LoadAsync()
    {
        switch (await Ask(new LoadSnapshot(Database.PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), "load"))
        {
            case LoadSnapshotResult { Snapshot: null }:
                return null;
            case LoadSnapshotResult { Snapshot: { Snapshot: byte[] payload } }:
                try
                {
                    using var stream = new MemoryStream(payload, writable: false);
                    return Checkpoint.Read(stream);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"checkpoint '{Location}': {e.Message}", e);
                }
            case LoadSnapshotResult r:
                throw new InvalidDataException($"checkpoint '{Location}': the snapshot is a {r.Snapshot.Snapshot?.GetType().Name ?? "null"}, not a checkpoint's bytes.");
            case LoadSnapshotFailed f:
                throw new IOException($"{Location}: the checkpoint could not be loaded: {f.Cause.Message}", f.Cause);
            case var other:
                throw new IOException($"{Location}: unexpected answer to a load: {other}");
        }
    }

    public Task ClearAsync() => Delete(SnapshotSelectionCriteria.Latest, "delete");

    private async Task Delete(SnapshotSelectionCriteria criteria, string what)
    {
        var answer = await Ask(new DeleteSnapshots(Database.PersistenceId, criteria), what);
        if (answer is DeleteSnapshotsFailure f) throw new IOException($"{Location}: {what} failed: {f.Cause.Message}", f.Cause);
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
}
