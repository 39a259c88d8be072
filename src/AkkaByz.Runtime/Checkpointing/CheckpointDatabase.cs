using System.Data.Common;
using AkkaByz.Runtime.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>Where checkpoints are kept: <c>akkabyz-cluster.checkpoint-store</c>.</summary>
public enum CheckpointStoreKind
{
    /// <summary>One file, <c>aggregator.ckpt</c>, in a folder (<see cref="CheckpointStore"/>).</summary>
    Files,
    /// <summary>A snapshot in an SQLite database file (the default: <c>OUT/checkpoints.db</c>).</summary>
    Sqlite,
    /// <summary>A snapshot in a PostgreSQL database (<c>akkabyz-cluster.checkpoint-db</c>): fail-over across machines.</summary>
    PostgreSql,
}

/// <summary>
/// A checkpoint database: the kind (SQLite or PostgreSQL), its connection string and the snapshot's persistence id.
/// The snapshots are written and read by Akka.Persistence.Sql's snapshot store (<see cref="SnapshotCheckpointStore"/>)
/// with its SQLite or PostgreSQL table mapping; the checks before a node joins (<see cref="Probe"/>,
/// <see cref="TryReadLatest"/>) read the same table directly through ADO.NET, so they need no actor system.
/// </summary>
public sealed record CheckpointDatabase(CheckpointStoreKind Kind, string ConnectionString, string PersistenceId)
{
    /// <summary>The SQLite file name inside a run's output folder (or the checkpoint-dir).</summary>
    public const string SqliteFileName = "checkpoints.db";

    /// <summary>The persistence id of a run's checkpoint snapshots: this prefix and <c>akkabyz-cluster.checkpoint-key</c>.</summary>
    public const string PersistenceIdPrefix = "akkabyz-checkpoint/";

    /// <summary>Table (and schema) of each kind's Akka.Persistence.Sql table mapping (<c>sqlite</c>, <c>postgresql</c>).</summary>
    internal string Table => Kind == CheckpointStoreKind.Sqlite ? "snapshot" : "public.snapshot_store";

    /// <summary>linq2db's provider name for the plugin's <c>provider-name</c>.</summary>
    internal string ProviderName => Kind == CheckpointStoreKind.Sqlite ? LinqToDB.ProviderName.SQLiteMS : LinqToDB.ProviderName.PostgreSQL15;

    /// <summary>The plugin's <c>table-mapping</c>.</summary>
    internal string TableMapping => Kind == CheckpointStoreKind.Sqlite ? "sqlite" : "postgresql";

    /// <summary>An SQLite database file (created on first use).</summary>
    public static CheckpointDatabase Sqlite(string file, string key) =>
        new(CheckpointStoreKind.Sqlite, new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file), Pooling = false }.ToString(), PersistenceIdPrefix + key);

    /// <summary>A PostgreSQL database.</summary>
    /// <exception cref="SettingsException">Not a valid Npgsql connection string (the message names the key).</exception>
    public static CheckpointDatabase PostgreSql(string connectionString, string key)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new SettingsException("akkabyz-cluster.checkpoint-db: checkpoint-store = postgresql needs a connection string, e.g. \"Host=db;Database=akkabyz;Username=akkabyz;Password=...\".");
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrEmpty(builder.Host)) throw new ArgumentException("no Host");
            return new(CheckpointStoreKind.PostgreSql, builder.ConnectionString, PersistenceIdPrefix + key);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"akkabyz-cluster.checkpoint-db: not a PostgreSQL connection string ({e.Message}).", e);
        }
    }

    /// <summary>For messages: the file, or host/database and the key, never the password.</summary>
    public string Location
    {
        get
        {
            if (Kind == CheckpointStoreKind.Sqlite) return $"sqlite:{new SqliteConnectionStringBuilder(ConnectionString).DataSource}";
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgresql://{b.Host}:{b.Port}/{b.Database} ({PersistenceId})";
        }
    }

    /// <summary>The SQLite file (null for PostgreSQL).</summary>
    public string? SqliteFile => Kind == CheckpointStoreKind.Sqlite ? new SqliteConnectionStringBuilder(ConnectionString).DataSource : null;

    /// <summary>The settings that name this database, for messages.</summary>
    private string Keys => Kind == CheckpointStoreKind.Sqlite ? "akkabyz-cluster.checkpoint-dir / checkpoint-db" : "akkabyz-cluster.checkpoint-db";

    private DbConnection Connect() => Kind == CheckpointStoreKind.Sqlite ? new SqliteConnection(ConnectionString) : new NpgsqlConnection(ConnectionString);

    /// <summary>
    /// Opens the database and runs a query, so that a bad connection string, a wrong password, an unreachable server
    /// or an unwritable folder fail when the node starts, naming the problem — not as errors at every checkpoint.
    /// </summary>
    /// <exception cref="SettingsException">The database cannot be used (the message names it and why).</exception>
    public void Probe()
    {
        try
        {
            if (SqliteFile is { } file) Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            using var connection = Connect();
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Kind == CheckpointStoreKind.Sqlite ? "PRAGMA user_version = 0" : "SELECT 1"; // SQLite: proves the file can be written
            command.ExecuteNonQuery();
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            throw new SettingsException($"{Keys} ({Location}): cannot use the checkpoint database: {e.Message}", e);
        }
    }

    /// <summary>
    /// The latest checkpoint in the database (null when there is none: no table yet, or no row of this persistence id),
    /// read directly from the snapshot table (the plugin stores the checkpoint's bytes as the payload).
    /// </summary>
    /// <exception cref="InvalidDataException">The row is not a valid checkpoint (corrupt, truncated; the message names the store).</exception>
    /// <exception cref="SettingsException">The database cannot be opened.</exception>
    public Checkpoint? TryReadLatest()
    {
        if (SqliteFile is { } file && !File.Exists(file)) return null;
        byte[]? payload;
        try
        {
            using var connection = Connect();
            connection.Open();
            using var exists = connection.CreateCommand();
            exists.CommandText = Kind == CheckpointStoreKind.Sqlite
                ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'snapshot'"
                : "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'snapshot_store'";
            if (Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0) return null;
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT payload FROM {Table} WHERE persistence_id = @id ORDER BY sequence_nr DESC LIMIT 1";
            var id = command.CreateParameter();
            id.ParameterName = "@id";
            id.Value = PersistenceId;
            command.Parameters.Add(id);
            payload = command.ExecuteScalar() as byte[];
        }
        catch (Exception e) when (e is DbException or IOException or InvalidOperationException or TimeoutException)
        {
            throw new SettingsException($"{Keys} ({Location}): cannot read the checkpoint database: {e.Message}", e);
        }
        if (payload is null) return null;
        try
        {
            using var stream = new MemoryStream(payload, writable: false);
            return Checkpoint.Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"checkpoint '{Location}': {e.Message}", e);
        }
    }
}
