using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Training;

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
    private readonly SnapshotDatabaseFolder _folder = new("akkabyz-wstate-");
    private ActorSystem Actors => _folder.Actors;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _folder.DisposeAsync();

    private static MomentumWorkerState State(long round) => new(round, round, [1f, -2f, float.NaN, round]);

    private WorkerStateStore Store(CheckpointDatabase db, string worker = "worker-a") =>
        new(Actors, db, "aggregator", worker, TimeSpan.FromSeconds(20));

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
        var db = _folder.Sqlite();
        db.Probe();
        await using var store = Store(db);
        await Roundtrip(store);

        foreach (var round in new long[] { 10, 20, 30, 40, 50 }) await store.SaveAsync(new WorkerStateSnapshot(Run, store.Worker, 0, round, State(round)), every: 10);
        var rounds = SnapshotDatabaseFolder.Query(db, "SELECT sequence_nr FROM snapshot WHERE persistence_id = $id ORDER BY sequence_nr", r => r.GetInt64(0),
            ("$id", "akkabyz-worker-state/aggregator/worker-a/slot-0"));
        Assert.Equal([30L, 40L, 50L], rounds);
    }

    [Fact]
    public async Task The_state_log_hands_recorded_states_to_the_background_writer()
    {
        var db = _folder.Sqlite();
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

    /// <summary>
    /// A store on <paramref name="db"/> whose plugin sits behind a closed <see cref="Gate"/> (queue of 4, warnings
    /// collected): round 1 of slot 0 is posted and in the writer's hands (held at the gate) when this returns, and rounds
    /// 2 to 1 + <paramref name="queued"/> are posted after it.
    /// </summary>
    private async Task<(IActorRef Gate, WorkerStateStore Store, System.Collections.Concurrent.ConcurrentQueue<string> Warnings)> HeldAtRoundOne(
        CheckpointDatabase db, int keep, int queued, TimeSpan? closeTimeout = null)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = Actors.ActorOf(Props.Create(() => new Gate(SnapshotPluginClient.Plugin(Actors, db), entered)));
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var store = new WorkerStateStore(gate, db, "aggregator", "worker-a", TimeSpan.FromSeconds(60), warnings.Enqueue, keep, queue: 4, closeTimeout);
        store.Post(Run, 0, 1, 1, State(1));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30)); // round 1 is in the writer's hands
        for (var round = 2; round <= 1 + queued; round++) store.Post(Run, 0, round, 1, State(round));
        return (gate, store, warnings);
    }

    [Fact]
    public async Task A_flush_behind_a_full_queue_completes_once_the_states_before_it_are_written_or_dropped()
    {
        // The writer is held inside its first save (a gate in front of the plugin); four more states fill the queue of
        // 4, the flush comes, and four more push those four out (dropped with a warning). A flush that were a queue item
        // would be pushed out too and never complete; it must complete once round 1 is written.
        var db = _folder.Sqlite();
        var (gate, store, warnings) = await HeldAtRoundOne(db, keep: 20, queued: 4);
        await using var _ = store;
        var flush = store.FlushAsync();
        for (var round = 6; round <= 9; round++) store.Post(Run, 0, round, 1, State(round));
        Assert.False(flush.IsCompleted); // round 1 is not written yet
        Assert.Equal(4, warnings.Count(w => w.Contains("the database is behind", StringComparison.Ordinal)));
        gate.Tell(Gate.Open.Instance);

        await flush.WaitAsync(TimeSpan.FromSeconds(60)); // a regression fails here instead of hanging
        Assert.Equal(State(1), (await store.LoadAsync(Run, 0, 1))!.State);
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60)); // and the newer ones
        foreach (var round in new long[] { 6, 7, 8, 9 }) Assert.Equal(State(round), (await store.LoadAsync(Run, 0, round))!.State);
        foreach (var round in new long[] { 2, 3, 4, 5 }) Assert.Null(await store.LoadAsync(Run, 0, round)); // dropped, each with a warning
        foreach (var round in new long[] { 2, 3, 4, 5 }) Assert.Contains(warnings, w => w.Contains($"slot 0 round {round} was not saved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_the_store_writes_the_states_still_queued()
    {
        // As the worker node stops: the writer is busy with round 1 and three more wait in the queue. Disposing waits
        // for all of them, and a store opened afterwards (the restarted node) reads every one back.
        var db = _folder.Sqlite();
        var (gate, store, warnings) = await HeldAtRoundOne(db, keep: 10, queued: 3, closeTimeout: TimeSpan.FromSeconds(60));
        var closing = store.DisposeAsync().AsTask();
        store.Post(Run, 0, 5, 1, State(5)); // after the stop: refused with a warning, never silently
        gate.Tell(Gate.Open.Instance);
        await closing.WaitAsync(TimeSpan.FromSeconds(90));

        await using var restarted = Store(db);
        foreach (var round in new long[] { 1, 2, 3, 4 }) Assert.Equal(State(round), (await restarted.LoadAsync(Run, 0, round))!.State);
        Assert.Null(await restarted.LoadAsync(Run, 0, 5));
        Assert.Contains(warnings, w => w.Contains("the store is closed; the optimizer state of slot 0 round 5 was not saved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_store_whose_database_never_answers_stops_within_its_close_timeout_saying_what_it_gave_up()
    {
        // A plugin that never answers (a gate never opened): closing gives up after its close timeout, with a warning.
        var db = _folder.Sqlite();
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var silent = Actors.ActorOf(Props.Create(() => new Gate(ActorRefs.Nobody, new TaskCompletionSource())));
        var store = new WorkerStateStore(silent, db, "aggregator", "worker-a", TimeSpan.FromMinutes(10), warnings.Enqueue,
            closeTimeout: TimeSpan.FromMilliseconds(200));
        for (var round = 1; round <= 3; round++) store.Post(Run, 0, round, 1, State(round));
        Assert.False(await store.CloseAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(warnings, w => w.Contains("3 optimizer states not written within 0.2 s of stopping; giving up on them", StringComparison.Ordinal)
                                       && w.Contains(db.Location, StringComparison.Ordinal));
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60)); // nothing is left waiting for them
    }

    /// <summary>In front of a snapshot-store plugin: holds every message until <see cref="Open"/>, then passes them on (the sender kept).</summary>
    private sealed class Gate : ReceiveActor
    {
        public sealed record Open
        {
            public static readonly Open Instance = new();
        }

        public Gate(IActorRef plugin, TaskCompletionSource entered)
        {
            var held = new List<(object Message, IActorRef Sender)>();
            Receive<Open>(_ =>
            {
                foreach (var (message, sender) in held) plugin.Tell(message, sender);
                held.Clear();
                Become(() => ReceiveAny(m => plugin.Forward(m)));
            });
            ReceiveAny(m =>
            {
                held.Add((m, Sender));
                entered.TrySetResult();
            });
        }
    }

    [Fact]
    public async Task A_flipped_bit_is_refused_naming_the_database()
    {
        var db = _folder.Sqlite();
        await using var store = Store(db);
        var snapshot = new WorkerStateSnapshot(Run, store.Worker, 0, 10, State(10));
        await store.SaveAsync(snapshot, every: 10);
        var bytes = snapshot.ToBytes();
        bytes[^40] ^= 0x10;
        Assert.Equal(1, SnapshotDatabaseFolder.Execute(db, "UPDATE snapshot SET payload = $p WHERE persistence_id = $id", ("$p", bytes), ("$id", store.PersistenceIdOf(0))));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(Run, 0, 10));
        Assert.Contains("corrupt worker state snapshot", e.Message);
        Assert.Contains(db.Location, e.Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => WorkerStateSnapshot.Read(snapshot.ToBytes()[..10])).Message);
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => WorkerStateSnapshot.Read([1, 2, 3, 4, 5])).Message);
    }

    [Fact]
    public async Task A_snapshot_of_another_run_worker_or_slot_is_refused()
    {
        var db = _folder.Sqlite();
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

    private static ClusterNodeSettings Node(string hocon) =>
        ClusterNodeSettings.Create(ConfigurationFactory.ParseString(hocon).WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference));

    [Fact]
    public async Task A_workers_name_comes_from_its_own_configuration_and_a_given_one_finds_its_states_after_a_restart_on_another_port()
    {
        // Unnamed, without certificates: the address, so with --port 0 a restart is another name.
        var unnamed = Node("");
        Assert.Equal("worker@127.0.0.1:5001", unnamed.WorkerNameOf(null, "127.0.0.1", 5001));
        Assert.NotEqual(unnamed.WorkerNameOf(null, "127.0.0.1", 5001), unnamed.WorkerNameOf(null, "127.0.0.1", 5002));
        // Named (--name): the same on every port; with a certificate, the certificate's name, and a different one is refused.
        var named = Node("akkabyz-cluster.worker-name = w1");
        Assert.Equal("w1", named.WorkerNameOf(null, "127.0.0.1", 5001));
        Assert.Equal("w1", named.WorkerNameOf(null, "127.0.0.1", 5002));
        Assert.Equal("w1", named.WorkerNameOf("w1", "127.0.0.1", 5002));
        Assert.Equal("cert-w", unnamed.WorkerNameOf("cert-w", "127.0.0.1", 5001));
        var mismatch = Assert.Throws<SettingsException>(() => named.WorkerNameOf("w2", "127.0.0.1", 5001));
        Assert.Contains("worker-name (--name) = \"w1\", but this node's certificate names it \"w2\"", mismatch.Message);
        foreach (var bad in new[] { "\"a/b\"", "\"W1\"", "\"-w\"", "\"w 1\"" })
            Assert.Contains("is not a name", Assert.Throws<SettingsException>(() => Node($"akkabyz-cluster.worker-name = {bad}")).Message);

        // The state a node named w1 wrote on port 5001 is found by w1 restarted on port 5002; an unnamed restart looks elsewhere.
        var db = _folder.Sqlite();
        await using (var before = Store(db, named.WorkerNameOf(null, "127.0.0.1", 5001)))
            await before.SaveAsync(new WorkerStateSnapshot(Run, before.Worker, 1, 20, State(20)), every: 10);
        await using var after = Store(db, named.WorkerNameOf(null, "127.0.0.1", 5002));
        Assert.Equal(State(20), (await after.LoadAsync(Run, 1, 20))!.State);
        await using var anonymous = Store(db, unnamed.WorkerNameOf(null, "127.0.0.1", 5002));
        Assert.Null(await anonymous.LoadAsync(Run, 1, 20));
    }

    [Fact]
    public void A_worker_keeps_its_states_only_in_a_configured_database()
    {
        Assert.Null(CheckpointTarget.ForWorker(Node(""))); // the default file is in the aggregator's run folder
        Assert.Null(CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-store = files, akkabyz-cluster.checkpoint-dir = /tmp/x")));
        Assert.Null(CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-dir = off, akkabyz-cluster.checkpoint-db = /tmp/x.db")));
        Assert.Equal(Path.GetFullPath("/tmp/x/checkpoints.db"), CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-dir = /tmp/x"))!.SqliteFile);
        Assert.Equal(Path.GetFullPath("/tmp/y.db"), CheckpointTarget.ForWorker(Node("akkabyz-cluster.checkpoint-db = /tmp/y.db"))!.SqliteFile);
        Assert.Equal(CheckpointStoreKind.PostgreSql, CheckpointTarget.ForWorker(Node("""akkabyz-cluster { checkpoint-store = postgresql, checkpoint-db = "Host=db;Database=a" }"""))!.Kind);

        var e = Assert.Throws<SettingsException>(() => Node("""akkabyz-cluster.checkpoint-db = "Host=db;Password=secret" """));
        Assert.Contains("checkpoint-store = postgresql", e.Message);
        Assert.DoesNotContain("secret", e.Message);
        Assert.Contains("is a folder", Assert.Throws<SettingsException>(() => Node($"akkabyz-cluster.checkpoint-db = {AkkaByzConfig.Quote(_folder.Directory)}")).Message);
        Assert.Contains("checkpoint-db", Assert.Throws<SettingsException>(() => Node("""akkabyz-cluster { checkpoint-store = postgresql, checkpoint-db = "Nonsense" }""")).Message);
    }

    [SkippableFactPostgres]
    public async Task Postgresql_returns_the_exact_state_of_a_round()
    {
        var connection = Environment.GetEnvironmentVariable("AKKABYZ_TEST_POSTGRES")!;
        await using var store = new WorkerStateStore(Actors, CheckpointDatabase.PostgreSql(connection, "k"), "test-" + Guid.NewGuid().ToString("N")[..8], "worker-a", TimeSpan.FromSeconds(20));
        await Roundtrip(store);
    }
}
