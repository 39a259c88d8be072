using Akka.Actor;
using Akka.Persistence;

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
/// The plugin and the answers to the asks are <see cref="SnapshotPluginClient"/>'s (shared with <see cref="WorkerStateStore"/>).
/// </summary>
public sealed class SnapshotCheckpointStore : ICheckpointStore
{
    private readonly SnapshotPluginClient _client;

    public SnapshotCheckpointStore(ActorSystem system, CheckpointDatabase database, TimeSpan timeout)
    {
        Database = database;
        _client = new SnapshotPluginClient(SnapshotPluginClient.Plugin(system, database), timeout, database.Location);
    }

    public CheckpointDatabase Database { get; }

    public string Location => Database.Location;

    public async Task SaveAsync(Checkpoint checkpoint)
    {
        using var bytes = new MemoryStream();
        checkpoint.Write(bytes);
        var metadata = new SnapshotMetadata(Database.PersistenceId, checkpoint.Round, DateTime.UtcNow);
        await _client.SaveAsync(metadata, bytes.ToArray(), $"the snapshot of round {checkpoint.Round}");
        if (checkpoint.Round > 0) await _client.DeleteAsync(Database.PersistenceId, new SnapshotSelectionCriteria(checkpoint.Round - 1), "delete older snapshots");
    }

    public async Task<Checkpoint?> LoadAsync()
    {
        try
        {
            if (await _client.LoadAsync(Database.PersistenceId, SnapshotSelectionCriteria.Latest, "a checkpoint") is not { } found) return null;
            using var stream = new MemoryStream(found.Payload, writable: false);
            return Checkpoint.Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"checkpoint '{Location}': {e.Message}", e);
        }
    }

    public Task ClearAsync() => _client.DeleteAsync(Database.PersistenceId, SnapshotSelectionCriteria.Latest, "delete");
}
