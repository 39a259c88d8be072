namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// Where the aggregator's round checkpoints live: one current checkpoint per run, replaced as a whole (a reader sees
/// the previous or the new one, never a torn one). The bytes are always <see cref="Checkpoint.Write"/>'s (format v3,
/// SHA-256 at the end, the run's identity in its <c>run</c> section), whatever the store: a file
/// (<see cref="CheckpointStore"/>) or a snapshot in Akka.Persistence.Sql (<see cref="SnapshotCheckpointStore"/>:
/// SQLite, PostgreSQL). Calls on one store are not concurrent (the coordinator awaits each before the next).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Where the checkpoint is, for messages: a file path, or <c>sqlite:PATH</c>, <c>postgresql:HOST/DB</c> with the key.</summary>
    string Location { get; }

    /// <summary>Replaces the current checkpoint with <paramref name="checkpoint"/>.</summary>
    /// <exception cref="IOException">The store could not write it (the message names the store).</exception>
    Task SaveAsync(Checkpoint checkpoint);

    /// <summary>The current checkpoint, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">There is one but it is not a valid checkpoint or is corrupt (the message names it).</exception>
    /// <exception cref="IOException">The store could not be read.</exception>
    Task<Checkpoint?> LoadAsync();

    /// <summary>Forgets the current checkpoint (a new run replaces a completed one).</summary>
    Task ClearAsync();
}
