using System.Runtime.CompilerServices;
using Akka.Actor;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>
/// Checkpoints as Akka.Persistence.Sql snapshots: what is stored is the checkpoint's own bytes (digest and run identity
/// inside), the newest round is what loads, one row per key is kept, and damage or a bad database is refused by name.
/// SQLite always; PostgreSQL when AKKABYZ_TEST_POSTGRES holds a connection string (.ci/run sets it).
/// </summary>
public sealed class SnapshotCheckpointStoreSpecs : IAsyncLifetime
{
    private readonly SnapshotDatabaseFolder _folder = new("akkabyz-snap-");
    private ActorSystem Actors => _folder.Actors;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _folder.DisposeAsync();

    private static Checkpoint Sample(long round, bool completed = false)
    {
        var server = OptimizerFactory.CreateServer(new OptimizerOptions(), [1f, 2f, 3f, 4f]);
        server.Step([0.5f, -0.5f, 1f, round]);
        return new Checkpoint(round, 50, server.Query.ToArray(), server.GetState(), ["akkabyz.rounds = 50"], completed, [1, 2, 3])
        {
            Run = new CheckpointRun("run-1", "akka.tcp://a@h:1#7", "/out", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), [new Participant(0, "w0", "akka.tcp://a@h:2")]),
            Counters = new RunCounters(30, 4, new Dictionary<string, long> { ["nan"] = 2 }, 1.5),
        };
    }

    private static byte[] BytesOf(Checkpoint c)
    {
        using var ms = new MemoryStream();
        c.Write(ms);
        return ms.ToArray();
    }

    private static async Task Roundtrip(ActorSystem system, CheckpointDatabase db)
    {
        db.Probe();
        var store = new SnapshotCheckpointStore(system, db, TimeSpan.FromSeconds(20));
        await store.ClearAsync();
        Assert.Null(await store.LoadAsync());
        Assert.Null(db.TryReadLatest());

        await store.SaveAsync(Sample(10));
        await store.SaveAsync(Sample(20));
        var loaded = await store.LoadAsync();
        Assert.NotNull(loaded);
        Assert.Equal(20, loaded.Round);
        Assert.Equal(BytesOf(Sample(20)), BytesOf(loaded)); // the same bytes, run identity and counters included
        Assert.Equal("run-1", loaded.Run!.RunId);
        Assert.Equal(30, loaded.Counters!.Accepted);
        Assert.Equal(BytesOf(Sample(20)), BytesOf(db.TryReadLatest()!)); // the direct reader agrees with the plugin

        await store.SaveAsync(Sample(50, completed: true));
        Assert.True((await store.LoadAsync())!.Completed);
        await store.ClearAsync();
        Assert.Null(await store.LoadAsync());
    }

    [Fact]
    public async Task Sqlite_stores_the_checkpoints_own_bytes_keeps_one_row_and_loads_the_newest_round()
    {
        var db = _folder.Sqlite(under: "run");
        await Roundtrip(Actors, db);

        var store = new SnapshotCheckpointStore(Actors, db, TimeSpan.FromSeconds(20));
        await store.SaveAsync(Sample(10));
        await store.SaveAsync(Sample(20));
        var rows = SnapshotDatabaseFolder.Query(db, "SELECT sequence_nr, payload FROM snapshot", r => (Round: r.GetInt64(0), Payload: (byte[])r["payload"]));
        var (round, payload) = Assert.Single(rows); // the older round was deleted after the newer one was saved
        Assert.Equal(20, round);
        Assert.Equal(BytesOf(Sample(20)), payload); // compact binary (magic ABCK, SHA-256 last), not a serializer's wrapping
        Assert.Equal("ABCK"u8.ToArray(), payload[..4]);
    }

    [Fact]
    public async Task A_flipped_bit_in_the_stored_snapshot_is_refused_naming_the_database()
    {
        var db = _folder.Sqlite();
        var store = new SnapshotCheckpointStore(Actors, db, TimeSpan.FromSeconds(20));
        await store.SaveAsync(Sample(10));
        var bytes = BytesOf(Sample(10));
        bytes[^40] ^= 0x04;
        Assert.Equal(1, SnapshotDatabaseFolder.Execute(db, "UPDATE snapshot SET payload = $p", ("$p", bytes)));
        var e = await Assert.ThrowsAsync<InvalidDataException>(store.LoadAsync);
        Assert.Contains("corrupt checkpoint", e.Message);
        Assert.Contains(db.Location, e.Message);
        Assert.Contains("corrupt checkpoint", Assert.Throws<InvalidDataException>(db.TryReadLatest).Message);
    }

    [Fact]
    public async Task Two_keys_in_one_database_are_two_runs()
    {
        var a = new SnapshotCheckpointStore(Actors, _folder.Sqlite("a"), TimeSpan.FromSeconds(20));
        var b = new SnapshotCheckpointStore(Actors, _folder.Sqlite("b"), TimeSpan.FromSeconds(20));
        await a.SaveAsync(Sample(10));
        await b.SaveAsync(Sample(30));
        Assert.Equal(10, (await a.LoadAsync())!.Round);
        Assert.Equal(30, (await b.LoadAsync())!.Round);
    }

    [Fact]
    public void A_bad_connection_string_or_an_unreachable_database_is_named_before_anything_runs()
    {
        var e = Assert.Throws<SettingsException>(() => CheckpointDatabase.PostgreSql("Host=;Nonsense", "aggregator"));
        Assert.Contains("akkabyz-cluster.checkpoint-db", e.Message);
        Assert.Contains("akkabyz-cluster.checkpoint-db", Assert.Throws<SettingsException>(() => CheckpointDatabase.PostgreSql("", "k")).Message);
        // Nothing listens on port 1: refused at once, the message names the server (and never the password).
        var unreachable = CheckpointDatabase.PostgreSql("Host=127.0.0.1;Port=1;Database=x;Username=u;Password=secret;Timeout=3", "k");
        var refused = Assert.Throws<SettingsException>(unreachable.Probe);
        Assert.Contains("postgresql://127.0.0.1:1/x", refused.Message);
        Assert.DoesNotContain("secret", refused.Message);
        // An SQLite file under a file: the folder cannot be made.
        var blocker = Path.Combine(_folder.Directory, "file");
        File.WriteAllText(blocker, "");
        Assert.Contains("cannot use the checkpoint database", Assert.Throws<SettingsException>(CheckpointDatabase.Sqlite(Path.Combine(blocker, "checkpoints.db"), "k").Probe).Message);
    }

    [SkippableFactPostgres]
    public async Task Postgresql_stores_and_loads_the_same_bytes()
    {
        var connection = Environment.GetEnvironmentVariable("AKKABYZ_TEST_POSTGRES")!;
        await Roundtrip(Actors, CheckpointDatabase.PostgreSql(connection, "test-" + Guid.NewGuid().ToString("N")[..8]));
    }
}
