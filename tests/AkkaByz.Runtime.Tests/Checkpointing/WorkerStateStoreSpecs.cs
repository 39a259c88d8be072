using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Training;
using Microsoft.Data.Sqlite;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>
/// Workers' optimizer states as snapshots in the checkpoint database: the exact state comes back for its round, only
/// the last few rounds are kept, the background writer saves what the state log records, and a corrupt snapshot or
/// one of another run, worker, slot or round is refused (never applied). SQLite always; PostgreSQL when
/// AKKABYZ_TEST_POSTGRES is set.
/// </summary>
public sealed class WorkerStateStoreSpecs : IAsyncLifetime
{
    private static readonly string Run = WorkerStateSnapshot.IdentityOf(["akkabyz.rounds = 50"]);
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-wstate-").FullName;
    private ActorSystem _system = null!;

    public ValueTask InitializeAsync()
    {
        _system = ActorSystem.Create("worker-states", "akka.loglevel = OFF, akka.stdout-loglevel = OFF");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _system.Terminate();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static MomentumWorkerState State(long round) => new(round, round, [1f, -2f, float.NaN, round]);

    private WorkerStateStore Store(CheckpointDatabase db, string worker = "worker-a") =>
        new(_system, db, "aggregator", worker, TimeSpan.FromSeconds(20));

    private static async Task Roundtrip(WorkerStateStore store)
    {
        await store.ClearAsync(1);
        Assert.Null(await store.LoadAsync(Run, 1, 10));
        foreach (var round in new long[] { 10, 20, 30, 40 }) await store.SaveAsync(new WorkerStateSnapshot(Run, store.Worker, 1, round, State(round)), every: 10);
        var loaded = await store.LoadAsync(Run, 1, 30);
        Assert.NotNull(loaded);
        Assert.Equal(State(30), loaded.State); // bitwise, NaN included
        Assert.NotNull(await store.LoadAsync(Run, 1, 20));
        Assert.Null(await store.LoadAsync(Run, 1, 10)); // beyond the last 3 checkpoint rounds: deleted
        Assert.Null(await store.LoadAsync(Run, 1, 35)); // no state of that round
        Assert.Null(await store.LoadAsync(Run, 2, 30)); // another slot
        await store.ClearAsync(1);
        Assert.Null(await store.LoadAsync(Run, 1, 40));
    }

    [Fact]
    public async Task Sqlite_returns_the_exact_state_of_a_round_and_keeps_the_last_three_rounds()
    {
        var db = CheckpointDatabase.Sqlite(Path.Combine(_dir, CheckpointDatabase.SqliteFileName), "aggregator");
        db.Probe();
        await using var store = Store(db);
        await Roundtrip(store);

        foreach (var round in new long[] { 10, 20, 30, 40, 50 }) await store.SaveAsync(new WorkerStateSnapshot(Run, store.Worker, 0, round, State(round)), every: 10);
        using var connection = new SqliteConnection(db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_nr FROM snapshot WHERE persistence_id = $id ORDER BY sequence_nr";
        command.Parameters.AddWithValue("$id", "akkabyz-worker-state/aggregator/worker-a/slot-0");
        using var reader = command.ExecuteReader();
        var rounds = new List<long>();
        while (reader.Read()) rounds.Add(reader.GetInt64(0));
        Assert.Equal([30L, 40L, 50L], rounds);
    }

    [Fact]
    public async Task The_state_log_hands_recorded_states_to_the_background_writer()
    {
        var db = CheckpointDatabase.Sqlite(Path.Combine(_dir, CheckpointDatabase.SqliteFileName), "aggregator");
        await using var store = Store(db);
        var log = new WorkerStateLog(5) { Recorded = (round, state) => store.Post(Run, 3, round, 5, state) };
        log.Record(5, State(5));
        log.Record(10, State(10));
        await store.FlushAsync();
        Assert.Equal(State(10), (await store.LoadAsync(Run, 3, 10))!.State);
        Assert.Equal(State(5), (await store.LoadAsync(Run, 3, 5))!.State);

        var fresh = new WorkerStateLog(5);
        fresh.Restored(10, State(10));
        Assert.True(fresh.TryGet(10, out var back));
        Assert.Equal(State(10), back);
    }

    [Fact]
    public async Task A_flipped_bit_is_refused_naming_the_database()
    {
        var db = CheckpointDatabase.Sqlite(Path.Combine(_dir, CheckpointDatabase.SqliteFileName), "aggregator");
        await using var store = Store(db);
        var snapshot = new WorkerStateSnapshot(Run, store.Worker, 0, 10, State(10));
        await store.SaveAsync(snapshot, every: 10);
        using (var connection = new SqliteConnection(db.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            var bytes = snapshot.ToBytes();
            bytes[^40] ^= 0x10;
            command.CommandText = "UPDATE snapshot SET payload = $p WHERE persistence_id = $id";
            command.Parameters.AddWithValue("$p", bytes);
            command.Parameters.AddWithValue("$id", store.PersistenceIdOf(0));
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(Run, 0, 10));
        Assert.Contains("corrupt worker state snapshot", e.Message);
        Assert.Contains(db.Location, e.Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => WorkerStateSnapshot.Read(snapshot.ToBytes()[..10])).Message);
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => WorkerStateSnapshot.Read([1, 2, 3, 4, 5])).Message);
    }

    [Fact]
    public async Task A_snapshot_of_another_run_worker_or_slot_is_refused()
    {
        var db = CheckpointDatabase.Sqlite(Path.Combine(_dir, CheckpointDatabase.SqliteFileName), "aggregator");
        await using var store = Store(db);
        await store.SaveAsync(new WorkerStateSnapshot(Run, store.Worker, 0, 10, State(10)), every: 10);
        var other = WorkerStateSnapshot.IdentityOf(["akkabyz.rounds = 60"]);
        Assert.Contains("another run", (await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(other, 0, 10))).Message);

        // A row under this worker's id whose content names another worker or slot (written by mistake or on purpose).
        await store.SaveAsync(new WorkerStateSnapshot(Run, "worker-b", 0, 20, State(20)), every: 10);
        Assert.Contains("worker-b", (await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(Run, 0, 20))).Message);
        await store.SaveAsync(new WorkerStateSnapshot(Run, store.Worker, 0, 30, State(30)) with { Slot = 0 }, every: 10);
        var wrongSlot = new WorkerStateSnapshot(Run, store.Worker, 5, 30, State(30));
        Assert.Contains("slot 5", Assert.Throws<InvalidDataException>(() => wrongSlot.Check(Run, store.Worker, 0, 30)).Message);

        // Another worker's states live under its own persistence id: this worker never sees them.
        await using var b = Store(db, "worker-b");
        Assert.Null(await b.LoadAsync(Run, 0, 10));
    }

    [Fact]
    public void A_worker_keeps_its_states_only_in_a_configured_database()
    {
        static ClusterNodeSettings Node(string hocon) =>
            ClusterNodeSettings.Create(ConfigurationFactory.ParseString(hocon).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference));
        Assert.Null(CheckpointTarget.ForWorker(Node(""))); // the default file is in the aggregator's run folder
        Assert.Null(CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-store = files, akkabyz-cluster.checkpoint-dir = /tmp/x")));
        Assert.Null(CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-dir = off, akkabyz-cluster.checkpoint-db = /tmp/x.db")));
        Assert.Equal(Path.GetFullPath("/tmp/x/checkpoints.db"), CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-dir = /tmp/x"))!.SqliteFile);
        Assert.Equal(Path.GetFullPath("/tmp/y.db"), CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-db = /tmp/y.db"))!.SqliteFile);
        Assert.Equal(CheckpointStoreKind.PostgreSql, CheckpointTarget.ForWorker(Node("""akkabyz-cluster { checkpoint-store = postgresql, checkpoint-db = "Host=db;Database=a" }"""))!.Kind);

        var e = Assert.Throws<SettingsException>(() => Node("""akkabyz-cluster.checkpoint-db = "Host=db;Password=secret" """));
        Assert.Contains("checkpoint-store = postgresql", e.Message);
        Assert.DoesNotContain("secret", e.Message);
        Assert.Contains("is a folder", Assert.Throws<SettingsException>(() => Node($"akkabyz-cluster.checkpoint-db = {AkkaByzConfig.Quote(_dir)}")).Message);
        Assert.Contains("checkpoint-db", Assert.Throws<SettingsException>(() => Node("""akkabyz-cluster { checkpoint-store = postgresql, checkpoint-db = "Nonsense" }""")).Message);
    }

    [SkippableFactPostgres]
    public async Task Postgresql_returns_the_exact_state_of_a_round()
    {
        var connection = Environment.GetEnvironmentVariable("AKKABYZ_TEST_POSTGRES")!;
        await using var store = new WorkerStateStore(_system, CheckpointDatabase.PostgreSql(connection, "k"), "test-" + Guid.NewGuid().ToString("N")[..8], "worker-a", TimeSpan.FromSeconds(20));
        await Roundtrip(store);
    }
}
