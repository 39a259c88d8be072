using System.Runtime.CompilerServices;
using Akka.Actor;
using AkkaByz.Runtime.Checkpointing;
using Microsoft.Data.Sqlite;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>
/// What the specs of the snapshot stores share: a temporary folder for SQLite checkpoint databases, an actor system
/// for the snapshot-store plugins (Akka's log off), and direct SQL on the plugin's <c>snapshot</c> table to look at or
/// damage what was stored. Disposing terminates the system, releases SQLite's pooled connections (the files are
/// still open otherwise) and deletes the folder.
/// </summary>
public sealed class SnapshotDatabaseFolder : IAsyncDisposable
{
    public SnapshotDatabaseFolder(string prefix)
    {
        Directory = global::System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        Actors = ActorSystem.Create("snapshot-stores", "akka.loglevel = OFF, akka.stdout-loglevel = OFF");
    }

    public string Directory { get; }

    public ActorSystem Actors { get; }

    /// <summary>The SQLite database <c>FOLDER/[under/]checkpoints.db</c> with checkpoint key <paramref name="key"/>.</summary>
    public CheckpointDatabase Sqlite(string key = "aggregator", string? under = null) =>
        CheckpointDatabase.Sqlite(Path.Combine(under is null ? Directory : Path.Combine(Directory, under), CheckpointDatabase.SqliteFileName), key);

    /// <summary>Runs <paramref name="sql"/> with <c>$name</c> parameters on <paramref name="db"/>; the rows it changed.</summary>
    public static int Execute(CheckpointDatabase db, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(db, sql, parameters, out var command);
        return command.ExecuteNonQuery();
    }

    /// <summary>The rows <paramref name="sql"/> selects, each read by <paramref name="read"/>.</summary>
    public static List<T> Query<T>(CheckpointDatabase db, string sql, Func<SqliteDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(db, sql, parameters, out var command);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    private static SqliteConnection Open(CheckpointDatabase db, string sql, (string Name, object Value)[] parameters, out SqliteCommand command)
    {
        var connection = new SqliteConnection(db.ConnectionString);
        connection.Open();
        command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await Actors.Terminate();
        SqliteConnection.ClearAllPools();
        global::System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>A fact that runs only when AKKABYZ_TEST_POSTGRES names a PostgreSQL database (.ci/run starts one), else is skipped saying so.</summary>
public sealed class SkippableFactPostgresAttribute : FactAttribute
{
    public SkippableFactPostgresAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AKKABYZ_TEST_POSTGRES")))
            Skip = "AKKABYZ_TEST_POSTGRES is not set (a PostgreSQL connection string; .ci/run installs and starts PostgreSQL and sets it)";
    }
}
