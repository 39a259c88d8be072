using Akka.Actor;
using Akka.TestKit;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Tests.Doubles;

namespace AkkaByz.Runtime.Tests.Actors;

public sealed class AggregatorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit.TestKit(TestConfig.Full, output: output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private (IActorRef Aggregator, TestProbe Metrics) Start(int m, int f, long rounds, TimeSpan deadline, int quorum = 0, int retries = 0,
        TimeSpan? startTimeout = null, float[]? x0 = null, int minWorkers = 0, Action<IReadOnlyCollection<int>, bool>? onRegistrations = null)
    {
        var metrics = CreateTestProbe("metrics");
        var barrier = new BarrierSettings(deadline, startTimeout ?? Long, quorum == 0 ? 2 * f + 1 : quorum, retries, TimeSpan.FromSeconds(1), AutoQuorum: quorum == 0);
        var server = Sgd.Server(x0 ?? [0f, 0f], 1f);
        var aggregator = Sys.ActorOf(AggregatorActor.Props(new AggregatorActor.Setup(m, f, rounds, 0, barrier, server, (n, tolerated) => new FakeMean(n, tolerated), null, metrics.Ref,
            MinWorkers: minWorkers, OnRegistrations: onRegistrations, WaitProgressInterval: TimeSpan.FromMilliseconds(200))));
        return (aggregator, metrics);
    }

    private TestProbe[] Register(IActorRef aggregator, int count, bool expectStart = true)
    {
        var probes = Enumerable.Range(0, count).Select(i => CreateTestProbe($"worker-{i}")).ToArray();
        for (var i = 0; i < count; i++)
        {
            probes[i].Send(aggregator, new RegisterWorker(i, $"worker-{i}"));
            probes[i].ExpectMsg<WorkerRegistered>(r => Assert.Equal(i, r.WorkerIndex));
        }
        if (expectStart)
            foreach (var p in probes) Assert.Equal(1, p.ExpectMsg<Params>().Round);
        return probes;
    }

    [Fact]
    public void Aggregator_must_close_the_barrier_when_every_worker_has_answered()
    {
        var (aggregator, metrics) = Start(m: 3, f: 1, rounds: 5, deadline: Long);
        var workers = Register(aggregator, 3);
        workers[0].Send(aggregator, new Update(1, [3f, 0f], 1.0));
        workers[1].Send(aggregator, new Update(1, [0f, 3f], 2.0));
        foreach (var w in workers) w.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // two of three: still open
        workers[2].Send(aggregator, new Update(1, [0f, 0f], 3.0));

        // Long before the 30 s deadline: x_2 = x_1 − mean = (−1, −1).
        Within(TimeSpan.FromSeconds(10), () =>
        {
            foreach (var w in workers)
            {
                var p = w.ExpectMsg<Params>();
                Assert.Equal(2, p.Round);
                Assert.Equal([-1f, -1f], p.X);
            }
        });
        var row = metrics.ExpectMsg<RoundMetrics>();
        Assert.Equal((1L, 3, 0), (row.Round, row.Received, row.Rejected));
        Assert.Equal(2.0, row.TrainLoss); // median of reported losses
    }

    [Fact]
    public void Aggregator_must_close_the_barrier_when_the_deadline_fires()
    {
        var (aggregator, metrics) = Start(m: 3, f: 0, rounds: 5, deadline: TimeSpan.FromMilliseconds(1500));
        var workers = Register(aggregator, 3);
        workers[0].Send(aggregator, new Update(1, [2f, 2f], 0));
        workers[1].Send(aggregator, new Update(1, [4f, 4f], 0));
        // worker 2 stays silent; the deadline closes the barrier with the two updates.
        foreach (var w in workers)
        {
            var p = w.ExpectMsg<Params>(TimeSpan.FromSeconds(10));
            Assert.Equal(2, p.Round);
            Assert.Equal([-3f, -3f], p.X);
        }
        Assert.Equal(2, metrics.ExpectMsg<RoundMetrics>().Received);
        // A late update for round 1 is now stale.
        workers[2].Send(aggregator, new Update(1, [9f, 9f], 0));
        aggregator.Tell(WatchRun.Instance, TestActor);
        foreach (var round in new long[] { 2, 3, 4, 5 })
        {
            if (round > 2) foreach (var w in workers) Assert.Equal(round, w.ExpectMsg<Params>(TimeSpan.FromSeconds(10)).Round);
            foreach (var w in workers) w.Send(aggregator, new Update(round, [0f, 0f], 0));
        }
        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.True(done.Completed);
        Assert.Equal(1, done.Rejected[RejectReasons.Stale]);
        Assert.Equal([-3f, -3f], done.FinalParameters);
    }

    [Fact]
    public void Aggregator_must_exclude_a_crashed_worker_and_continue_training()
    {
        var (aggregator, _) = Start(m: 3, f: 0, rounds: 3, deadline: Long);
        var workers = Register(aggregator, 3);
        aggregator.Tell(WatchRun.Instance, TestActor);
        workers[0].Send(aggregator, new Update(1, [1f, 1f], 0));
        workers[1].Send(aggregator, new Update(1, [1f, 1f], 0));
        Watch(workers[2].Ref);
        Sys.Stop(workers[2].Ref); // crash: Terminated closes the barrier without waiting for the 30 s deadline
        ExpectTerminated(workers[2].Ref);
        for (long round = 2; round <= 3; round++)
        {
            foreach (var w in workers[..2])
            {
                Assert.Equal(round, w.ExpectMsg<Params>(TimeSpan.FromSeconds(10)).Round);
                w.Send(aggregator, new Update(round, [1f, 1f], 0));
            }
        }
        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.True(done.Completed, done.Reason);
        Assert.Equal(3, done.Rounds);
        Assert.Equal(6, done.UpdatesAccepted);
        Assert.Equal([-3f, -3f], done.FinalParameters);
        foreach (var w in workers[..2]) w.FishForMessage(m => m is TrainingFinished, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Aggregator_must_reject_and_count_each_invalid_update_leaving_the_parameters_unchanged()
    {
        var (aggregator, metrics) = Start(m: 3, f: 1, rounds: 1, deadline: Long);
        var workers = Register(aggregator, 3);
        aggregator.Tell(WatchRun.Instance, TestActor);
        var outsider = CreateTestProbe("outsider");

        outsider.Send(aggregator, new Update(1, [50f, 50f], 0));                 // unregistered
        workers[0].Send(aggregator, new Update(0, [50f, 50f], 0));               // stale
        workers[0].Send(aggregator, new Update(2, [50f, 50f], 0));               // future
        workers[0].Send(aggregator, new Update(1, [50f], 0));                    // wrong length
        workers[0].Send(aggregator, new Update(1, [50f, 50f, 50f], 0));          // wrong length
        workers[0].Send(aggregator, new Update(1, [float.NaN, 0f], 0));          // non-finite
        workers[0].Send(aggregator, new Update(1, [0f, float.PositiveInfinity], 0)); // non-finite
        workers[0].Send(aggregator, new Update(1, [1f, 2f], 0));                 // valid
        workers[0].Send(aggregator, new Update(1, [50f, 50f], 0));               // duplicate
        workers[1].Send(aggregator, new Update(1, [2f, 4f], 0));                 // valid
        workers[2].Send(aggregator, new Update(1, [3f, 6f], 0));                 // valid: closes the barrier

        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.True(done.Completed, done.Reason);
        Assert.Equal([-2f, -4f], done.FinalParameters); // −mean of the three valid updates only
        Assert.Equal(1, done.Rejected[RejectReasons.Unregistered]);
        Assert.Equal(1, done.Rejected[RejectReasons.Stale]);
        Assert.Equal(1, done.Rejected[RejectReasons.Future]);
        Assert.Equal(2, done.Rejected[RejectReasons.WrongLength]);
        Assert.Equal(2, done.Rejected[RejectReasons.NonFinite]);
        Assert.Equal(1, done.Rejected[RejectReasons.Duplicate]);
        Assert.Equal(0, done.Rejected[RejectReasons.Late]);
        Assert.Equal(3, done.UpdatesAccepted);
        var row = metrics.ExpectMsg<RoundMetrics>();
        Assert.Equal((3, 8), (row.Received, row.Rejected));
    }

    [Fact]
    public void Aggregator_must_take_a_malformed_update_as_the_workers_answer_and_not_wait_for_the_deadline()
    {
        var (aggregator, metrics) = Start(m: 3, f: 0, rounds: 5, deadline: Long, quorum: 1);
        var workers = Register(aggregator, 3);
        workers[0].Send(aggregator, new Update(1, [2f, 2f], 0));
        workers[1].Send(aggregator, new Update(1, [4f, 4f], 0));
        workers[2].Send(aggregator, new Update(1, [float.NaN, 4f], 0));
        foreach (var w in workers)
        {
            var p = w.ExpectMsg<Params>(TimeSpan.FromSeconds(10)); // long before the 30 s deadline
            Assert.Equal(2, p.Round);
            Assert.Equal([-3f, -3f], p.X);
        }
        var row = metrics.ExpectMsg<RoundMetrics>();
        Assert.Equal((2, 1), (row.Received, row.Rejected));
    }

    [Fact]
    public void Aggregator_must_lower_f_by_the_workers_that_revealed_themselves_with_malformed_updates()
    {
        var (aggregator, metrics) = Start(m: 3, f: 1, rounds: 1, deadline: Long); // auto quorum: 2f + 1 = 3
        var workers = Register(aggregator, 3);
        aggregator.Tell(WatchRun.Instance, TestActor);
        workers[0].Send(aggregator, new Update(1, [2f, 2f], 0));
        workers[1].Send(aggregator, new Update(1, [4f, 4f], 0));
        workers[2].Send(aggregator, new Update(1, [float.PositiveInfinity, 0f], 0));
        // Worker 2 revealed itself: 2 valid updates with f' = 0 (quorum 1) are aggregated at once.
        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.True(done.Completed, done.Reason);
        Assert.Equal([-3f, -3f], done.FinalParameters);
        Assert.Equal(1, done.Rejected[RejectReasons.NonFinite]);
    }

    [Fact]
    public void Aggregator_must_republish_a_short_round_and_then_stop_saying_why()
    {
        var (aggregator, _) = Start(m: 3, f: 1, rounds: 5, deadline: TimeSpan.FromSeconds(1), retries: 1);
        var workers = Register(aggregator, 3);
        aggregator.Tell(WatchRun.Instance, TestActor);
        workers[0].Send(aggregator, new Update(1, [1f, 1f], 0));
        workers[1].Send(aggregator, new Update(1, [1f, 1f], 0));
        // Quorum is 2f + 1 = 3: the deadline re-publishes round 1 to the silent worker only.
        Assert.Equal(1, workers[2].ExpectMsg<Params>(TimeSpan.FromSeconds(10)).Round);
        workers[0].ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.False(done.Completed);
        Assert.Contains("round 1", done.Reason);
        Assert.Contains("quorum of 3", done.Reason);
        Assert.Equal(0, done.Rounds);
        Assert.Equal([0f, 0f], done.FinalParameters);
        foreach (var w in workers) w.FishForMessage(m => m is TrainingFinished, TimeSpan.FromSeconds(5));
        // Watching a finished run answers at once.
        aggregator.Tell(WatchRun.Instance, TestActor);
        Assert.False(ExpectMsg<RunCompleted>().Completed);
    }

    [Fact]
    public void Aggregator_must_refuse_a_taken_or_out_of_range_slot()
    {
        var (aggregator, _) = Start(m: 2, f: 0, rounds: 1, deadline: Long);
        var first = CreateTestProbe();
        first.Send(aggregator, new RegisterWorker(0, "a"));
        first.ExpectMsg<WorkerRegistered>();
        var second = CreateTestProbe();
        second.Send(aggregator, new RegisterWorker(0, "b"));
        Assert.Contains("taken", second.ExpectMsg<RegistrationRejected>().Reason);
        second.Send(aggregator, new RegisterWorker(5, "b"));
        Assert.Contains("outside", second.ExpectMsg<RegistrationRejected>().Reason);
    }

    [Fact]
    public void Aggregator_must_start_with_fewer_workers_at_the_start_timeout_only_when_min_workers_allows_it()
    {
        var (aggregator, _) = Start(m: 4, f: 0, rounds: 1, deadline: Long, startTimeout: TimeSpan.FromSeconds(1), minWorkers: 2);
        var workers = Register(aggregator, 2, expectStart: false);
        foreach (var w in workers) Assert.Equal(1, w.ExpectMsg<Params>(TimeSpan.FromSeconds(10)).Round);
    }

    [Fact]
    public void Aggregator_must_wait_for_all_m_by_default_reporting_who_registered_and_give_up_at_the_start_timeout()
    {
        var reports = new System.Collections.Concurrent.ConcurrentQueue<(int[] Slots, bool Waiting)>();
        var (aggregator, _) = Start(m: 3, f: 0, rounds: 1, deadline: Long, startTimeout: TimeSpan.FromSeconds(1.5),
            onRegistrations: (slots, waiting) => reports.Enqueue((slots.Order().ToArray(), waiting)));
        var workers = Register(aggregator, 2, expectStart: false);
        aggregator.Tell(WatchRun.Instance, TestActor);
        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.False(done.Completed);
        Assert.Contains("only 2 of 3 workers registered", done.Reason);
        Assert.Contains("all 3, as configured", done.Reason);
        foreach (var w in workers) w.ExpectMsg<TrainingFinished>(); // never started: no Params before the end
        Assert.Contains(reports, r => r.Waiting && r.Slots.SequenceEqual([0, 1])); // the periodic "waiting for workers" report
        Assert.True(reports.Count(r => r.Waiting) >= 3, $"{reports.Count(r => r.Waiting)} reports"); // 2 registrations + ticks every 200 ms
    }

    [Fact]
    public void Aggregator_must_stop_when_too_few_workers_register()
    {
        var (aggregator, _) = Start(m: 5, f: 2, rounds: 1, deadline: Long, startTimeout: TimeSpan.FromMilliseconds(300));
        Register(aggregator, 2, expectStart: false);
        aggregator.Tell(WatchRun.Instance, TestActor);
        var done = ExpectMsg<RunCompleted>(TimeSpan.FromSeconds(10));
        Assert.False(done.Completed);
        Assert.Contains("only 2 of 5 workers registered", done.Reason);
    }
}
