using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// An Akka.Persistence.Sql snapshot-store plugin actor spoken to directly (<see cref="SaveSnapshot"/>,
/// <see cref="LoadSnapshot"/>, <see cref="DeleteSnapshots"/>), for <see cref="SnapshotCheckpointStore"/> and
/// <see cref="WorkerStateStore"/>: every ask has a timeout (no answer: an <see cref="IOException"/> asking whether the
/// database is reachable), and the plugin's answers become a result or an exception whose message starts with
/// <see cref="Location"/> (never a password). Payloads are byte arrays (stored by Akka's byte-array serializer as they are).
/// </summary>
internal sealed class SnapshotPluginClient(IActorRef plugin, TimeSpan timeout, string location)
{
    private static int _plugins;

    /// <summary>What the messages name: the database, and for worker states the persistence id's prefix.</summary>
    public string Location { get; } = location;

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>
    /// A new snapshot-store plugin in <paramref name="system"/> for <paramref name="database"/>. Its configuration is
    /// made at run time (an SQLite file may be known only when the run starts) under a path of its own and added with
    /// <c>InjectTopLevelFallback</c>.
    /// </summary>
    public static IActorRef Plugin(ActorSystem system, CheckpointDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
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

    /// <summary>Saves <paramref name="payload"/> under <paramref name="metadata"/>; <paramref name="what"/> names it in messages ("the snapshot of round 10").</summary>
    /// <exception cref="IOException">Not saved, an unexpected answer, or none in time.</exception>
    public async Task SaveAsync(SnapshotMetadata metadata, byte[] payload, string what)
    {
        switch (await Ask(new SaveSnapshot(metadata, payload), "save").ConfigureAwait(false))
        {
            case SaveSnapshotSuccess:
                return;
            case SaveSnapshotFailure f:
                throw new IOException($"{Location}: {what} was not saved: {f.Cause.Message}", f.Cause);
            case var other:
                throw new IOException($"{Location}: unexpected answer to a save: {other}");
        }
    }

    /// <summary>
    /// The latest snapshot of <paramref name="persistenceId"/> that <paramref name="criteria"/> selects (the plugin
    /// answers the latest at or below the maximum sequence number), or null when there is none.
    /// </summary>
    /// <exception cref="InvalidDataException">The stored payload is no byte array (the message does not name the location: the caller adds it, as for its own format's refusals).</exception>
    /// <exception cref="IOException">Not loaded, an unexpected answer, or none in time; <paramref name="what"/> names it ("the checkpoint").</exception>
    public async Task<(long SequenceNr, byte[] Payload)?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, string what)
    {
        switch (await Ask(new LoadSnapshot(persistenceId, criteria, long.MaxValue), "load").ConfigureAwait(false))
        {
            case LoadSnapshotResult { Snapshot: null }:
                return null;
            case LoadSnapshotResult { Snapshot: { Snapshot: byte[] payload } s }:
                return (s.Metadata.SequenceNr, payload);
            case LoadSnapshotResult r:
                throw new InvalidDataException($"the snapshot is a {r.Snapshot.Snapshot?.GetType().Name ?? "null"}, not {what}'s bytes.");
            case LoadSnapshotFailed f:
                throw new IOException($"{Location}: {what} could not be loaded: {f.Cause.Message}", f.Cause);
            case var other:
                throw new IOException($"{Location}: unexpected answer to a load: {other}");
        }
    }

    /// <summary>Deletes the snapshots of <paramref name="persistenceId"/> that <paramref name="criteria"/> selects; <paramref name="what"/> names the step in messages.</summary>
    /// <exception cref="IOException">The delete failed, or no answer in time.</exception>
    public async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, string what)
    {
        var answer = await Ask(new DeleteSnapshots(persistenceId, criteria), "delete").ConfigureAwait(false);
        if (answer is DeleteSnapshotsFailure f) throw new IOException($"{Location}: {what} failed: {f.Cause.Message}", f.Cause);
    }

    private async Task<object> Ask(object message, string what)
    {
        try
        {
            return await plugin.Ask<object>(message, Timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new IOException($"{Location}: the snapshot store did not answer a {what} within {Timeout.TotalSeconds:0} s (is the database reachable?)", e);
        }
    }
}
