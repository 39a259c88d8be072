using Akka.Actor;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Which store holds a run's checkpoint, resolved from the node's settings (<c>akkabyz-cluster.checkpoint-store</c>,
/// <c>checkpoint-dir</c>, <c>checkpoint-db</c>, <c>checkpoint-key</c>), the run's output folder and <c>--resume</c>:
/// a folder with <c>aggregator.ckpt</c> (files), or a database (<see cref="CheckpointDatabase"/>). A run folder whose
/// checkpoint is a file (written before the snapshot stores, or with checkpoint-store = files) is resumed from that
/// file whatever the store setting.
/// </summary>
public sealed record CheckpointTarget(CheckpointStoreKind Kind, string Folder, CheckpointDatabase? Database)
{
    /// <summary>How long a snapshot-store operation may take before it is reported as failed.</summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The store of a run whose outputs go to <paramref name="outDir"/> (null: not known yet, only a configured dir or database is resolved).</summary>
    public static CheckpointTarget? Of(ClusterNodeSettings node, string? outDir)
    {
        if (!node.CheckpointsEnabled) return null;
        if (node.Resume.Length > 0) return OfResume(node);
        var folder = node.CheckpointsInRunFolder ? outDir is null ? null : Path.Combine(outDir, ClusterNodeSettings.RunCheckpointFolder) : node.CheckpointDirectory;
        switch (node.CheckpointStore)
        {
            case CheckpointStoreKind.PostgreSql:
                return new(CheckpointStoreKind.PostgreSql, "", CheckpointDatabase.PostgreSql(node.CheckpointDb, node.CheckpointKey));
            case CheckpointStoreKind.Sqlite:
                var file = node.CheckpointDb.Length > 0 ? node.CheckpointDb
                    : node.CheckpointsInRunFolder ? outDir is null ? null : Path.Combine(outDir, CheckpointDatabase.SqliteFileName)
                    : Path.Combine(node.CheckpointDirectory, CheckpointDatabase.SqliteFileName);
                return file is null ? null : new(CheckpointStoreKind.Sqlite, Path.GetDirectoryName(Path.GetFullPath(file))!, CheckpointDatabase.Sqlite(file, node.CheckpointKey));
            default:
                return folder is null ? null : new(CheckpointStoreKind.Files, Path.GetFullPath(folder), null);
        }
    }

    /// <summary>
    /// The database a worker node keeps its optimizer states in (<see cref="WorkerStateStore"/>): the configured
    /// PostgreSQL database, or the configured SQLite file (<c>checkpoint-db</c>) or folder (<c>checkpoint-dir</c>,
    /// its <c>checkpoints.db</c>); null with checkpoint-store = files, checkpoints off, or the default SQLite file in the
    /// run's output folder (that folder is the aggregator node's: a worker keeps its states in memory only, as before).
    /// </summary>
    public static CheckpointDatabase? ForWorker(ClusterNodeSettings node)
    {
        if (!node.CheckpointsEnabled) return null;
        return node.CheckpointStore switch
        {
            CheckpointStoreKind.PostgreSql => CheckpointDatabase.PostgreSql(node.CheckpointDb, node.CheckpointKey),
            CheckpointStoreKind.Sqlite when node.CheckpointDb.Length > 0 => CheckpointDatabase.Sqlite(node.CheckpointDb, node.CheckpointKey),
            CheckpointStoreKind.Sqlite when !node.CheckpointsInRunFolder => CheckpointDatabase.Sqlite(Path.Combine(node.CheckpointDirectory, CheckpointDatabase.SqliteFileName), node.CheckpointKey),
            _ => null,
        };
    }

    /// <summary>
    /// <c>--resume DIR</c>: a file checkpoint in DIR or DIR/checkpoints if there is one; else the configured database
    /// (PostgreSQL), or DIR/checkpoints.db, or the configured SQLite file.
    /// </summary>
    private static CheckpointTarget OfResume(ClusterNodeSettings node)
    {
        var dir = Path.GetFullPath(node.Resume);
        var folder = RunResumption.CheckpointFolderOf(dir);
        if (node.CheckpointStore == CheckpointStoreKind.Files || File.Exists(Path.Combine(folder, CheckpointStore.FileName)))
            return new(CheckpointStoreKind.Files, folder, null);
        if (node.CheckpointStore == CheckpointStoreKind.PostgreSql)
            return new(CheckpointStoreKind.PostgreSql, "", CheckpointDatabase.PostgreSql(node.CheckpointDb, node.CheckpointKey));
        var file = File.Exists(dir) ? dir
            : File.Exists(Path.Combine(dir, CheckpointDatabase.SqliteFileName)) || node.CheckpointDb.Length == 0 ? Path.Combine(dir, CheckpointDatabase.SqliteFileName)
            : node.CheckpointDb;
        return new(CheckpointStoreKind.Sqlite, Path.GetDirectoryName(Path.GetFullPath(file))!, CheckpointDatabase.Sqlite(file, node.CheckpointKey));
    }

    /// <summary>For messages: the file, or the database and key (never a password).</summary>
    public string Location => Database?.Location ?? Path.Combine(Folder, CheckpointStore.FileName);

    /// <summary>Proves the store can be used (folder writable, database reachable), naming the problem if not.</summary>
    /// <exception cref="SettingsException">It cannot.</exception>
    public void Probe()
    {
        if (Database is { } db) db.Probe();
        else new CheckpointStore(Folder).EnsureWritable();
    }

    /// <summary>The current checkpoint, read without an actor system (the checks before a node joins).</summary>
    /// <exception cref="InvalidDataException">Corrupt or not a checkpoint.</exception>
    /// <exception cref="SettingsException">The database cannot be read.</exception>
    public Checkpoint? ReadNow() => Database is { } db ? db.TryReadLatest() : new CheckpointStore(Folder).TryLoad();

    /// <summary>The store the coordinator writes through (the database's snapshot-store plugin in <paramref name="system"/>).</summary>
    public ICheckpointStore Open(ActorSystem system) =>
        Database is { } db ? new SnapshotCheckpointStore(system, db, OperationTimeout) : new CheckpointStore(Folder);
}
