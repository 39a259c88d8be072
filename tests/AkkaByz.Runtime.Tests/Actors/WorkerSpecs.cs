using Akka.Actor;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Tests.Doubles;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Actors;

public sealed class WorkerSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit.TestKit(TestConfig.Full, output: output)
{
    private const int D = 3;
    private static readonly Core.Data.DataSet Data = FakeData.Rows(40, D);

    private static WorkerComputation Computation(int worker, int seed = 1) =>
        WorkerComputation.For(new FakeQuadraticModel(D), Sgd.Worker(), Data, Enumerable.Range(worker * 10, 10).ToArray(), 2, seed, worker);

    private IActorRef Worker(int index, WorkerFaults faults, Akka.TestKit.TestProbe? tap = null) =>
        Sys.ActorOf(WorkerActor.Props(index, $"w{index}", TestActor, Computation(index), faults, tap?.Ref));

    [Fact]
    public void Worker_must_register_and_answer_params_with_its_deterministic_update()
    {
        var worker = Worker(1, WorkerFaults.None(1));
        Assert.Equal(new RegisterWorker(1, "w1"), ExpectMsg<RegisterWorker>());
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        var u = ExpectMsg<Update>();
        Assert.Equal(1, u.Round);
        var (expected, loss) = Computation(1).Compute(1, new float[D]);
        Assert.Equal(expected, u.Vector);
        Assert.Equal(loss, u.Loss);
    }

    [Fact]
    public void Worker_must_resend_its_cached_update_when_a_round_is_republished()
    {
        var worker = Worker(0, WorkerFaults.None(0));
        ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        var first = ExpectMsg<Update>();
        worker.Tell(new Params(1, [5f, 5f, 5f]));
        Assert.Equal(first.Vector, ExpectMsg<Update>().Vector);
    }

    [Fact]
    public void Worker_must_crash_at_its_configured_round()
    {
        var worker = Worker(0, new WorkerFaults(0, 1, [2], 0, TimeSpan.Zero, []));
        Watch(worker);
        ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        ExpectMsg<Update>();
        worker.Tell(new Params(2, [0f, 0f, 0f]));
        ExpectTerminated(worker);
    }

    [Fact]
    public void Worker_must_stop_when_training_finishes()
    {
        var worker = Worker(0, WorkerFaults.None(0));
        Watch(worker);
        ExpectMsg<RegisterWorker>();
        worker.Tell(new TrainingFinished(3, "done"));
        ExpectTerminated(worker);
    }

    [Fact]
    public void Worker_with_message_faults_must_send_the_invalid_copies_next_to_the_real_update()
    {
        var faults = new WorkerFaults(0, 1, [], 0, TimeSpan.Zero,
            [new MessageFault(0, MessageFaultKind.WrongLength, 2), new MessageFault(0, MessageFaultKind.NaN, 2),
             new MessageFault(0, MessageFaultKind.Replay, 2), new MessageFault(0, MessageFaultKind.Duplicate, 2),
             new MessageFault(0, MessageFaultKind.Drop, 3)]);
        var worker = Worker(0, faults);
        ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        var one = ExpectMsg<Update>();
        worker.Tell(new Params(2, [0f, 0f, 0f]));
        var real = ExpectMsg<Update>();                                     // the real update first
        Assert.Equal((2L, D), (real.Round, real.Vector.Length));
        Assert.Equal(D - 1, ExpectMsg<Update>().Vector.Length);           // wrong length
        Assert.Contains(ExpectMsg<Update>().Vector, float.IsNaN);           // NaN copy
        var replay = ExpectMsg<Update>();                                   // replay of round 1
        Assert.Equal(1L, replay.Round);
        Assert.Equal(one.Vector, replay.Vector);
        var duplicate = ExpectMsg<Update>();
        Assert.Equal(2L, duplicate.Round);
        Assert.Equal(real.Vector, duplicate.Vector);
        worker.Tell(new Params(3, [0f, 0f, 0f]));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));                        // dropped
    }

    [Fact]
    public void Straggling_worker_must_hold_its_reply_back()
    {
        var worker = Worker(0, new WorkerFaults(0, 1, [], 0, TimeSpan.FromMilliseconds(600), []));
        ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        Assert.Equal(1, ExpectMsg<Update>(TimeSpan.FromSeconds(10)).Round);
    }

    [Fact]
    public void Honest_worker_must_copy_its_update_to_the_adversary_tap()
    {
        var tap = CreateTestProbe();
        var worker = Worker(2, WorkerFaults.None(2), tap);
        ExpectMsg<RegisterWorker>();
        tap.ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        var copy = tap.ExpectMsg<HonestCopy>();
        Assert.Equal(ExpectMsg<Update>().Vector, copy.Vector);
    }

    [Fact]
    public void Byzantine_worker_must_craft_from_its_own_update()
    {
        var worker = Sys.ActorOf(ByzantineWorkerActor.Props(1, "b1", TestActor, WorkerFaults.None(1), new FakeSignFlip(), 0, 3, 1, 1, Computation(1), null));
        ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        var (honest, _) = Computation(1).Compute(1, new float[D]);
        Assert.Equal(honest.Select(v => -100 * v), ExpectMsg<Update>().Vector);
    }

    [Fact]
    public void A_busy_worker_must_hold_a_later_round_back_until_its_current_one_is_answered_and_ignore_stale_answers()
    {
        // The worker keeps its busy state in a field (no Become): Params of round 2 arriving while round 1 waits for the
        // tap is stashed, a crafted vector for another round is ignored, and round 2 starts only after round 1's update.
        var tap = CreateTestProbe();
        var worker = Sys.ActorOf(ByzantineWorkerActor.Props(2, "b2", TestActor, WorkerFaults.None(2), new FakeInnerProduct(), 0, 3, 1, 1, null, tap.Ref));
        ExpectMsg<RegisterWorker>();
        worker.Tell(new Params(1, [0f, 0f, 0f]));
        Assert.Equal(1, tap.ExpectMsg<CraftRequest>().Round);
        var requester = tap.LastSender;
        worker.Tell(new Params(2, [0f, 0f, 0f]));
        tap.Send(requester, new CraftedVector(2, [9f, 9f, 9f])); // not the round being produced
        tap.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        tap.Send(requester, new CraftedVector(1, [1f, 2f, 3f]));
        var first = ExpectMsg<Update>();
        Assert.Equal(1, first.Round);
        Assert.Equal([1f, 2f, 3f], first.Vector);
        Assert.Equal(2, tap.ExpectMsg<CraftRequest>().Round); // the stashed round, now
        tap.Send(requester, new CraftedVector(2, [4f, 5f, 6f]));
        var second = ExpectMsg<Update>();
        Assert.Equal(2, second.Round);
        Assert.Equal([4f, 5f, 6f], second.Vector);
        tap.Send(requester, new CraftedVector(2, [7f, 7f, 7f])); // idle now: ignored, nothing sent
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Adversary_tap_must_answer_omniscient_workers_once_every_live_honest_vector_is_in()
    {
        var attack = new FakeInnerProduct();
        var tap = Sys.ActorOf(AdversaryTapActor.Props(attack, 3, 1, 1, TimeSpan.FromSeconds(30)));
        var byzantine = Sys.ActorOf(ByzantineWorkerActor.Props(2, "b2", TestActor, WorkerFaults.None(2), attack, 0, 3, 1, 1, null, tap));
        ExpectMsg<RegisterWorker>();
        var h0 = CreateTestProbe();
        var h1 = CreateTestProbe();
        h0.Send(tap, new RegisterWorker(0, "h0"));
        h1.Send(tap, new RegisterWorker(1, "h1"));
        byzantine.Tell(new Params(1, [0f, 0f, 0f]));
        h1.Send(tap, new HonestCopy(1, [2f, 2f, 2f]));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // one honest vector missing
        h0.Send(tap, new HonestCopy(1, [4f, 4f, 4f]));
        var u = ExpectMsg<Update>();
        Assert.Equal([-30f, -30f, -30f], u.Vector);

        // Round 2: an honest worker dies; the tap answers with the survivor's vector.
        byzantine.Tell(new Params(2, [0f, 0f, 0f]));
        h1.Send(tap, new HonestCopy(2, [1f, 1f, 1f]));
        Sys.Stop(h0.Ref);
        Assert.Equal([-10f, -10f, -10f], ExpectMsg<Update>(TimeSpan.FromSeconds(10)).Vector);
        Assert.Equal([2, 1], attack.HonestCounts);
    }

    [Fact]
    public void Adversary_tap_must_answer_a_request_for_a_forgotten_round_at_once()
    {
        var tap = Sys.ActorOf(AdversaryTapActor.Props(new FakeInnerProduct(), 3, 1, 1, TimeSpan.FromSeconds(30)));
        var h0 = CreateTestProbe();
        h0.Send(tap, new RegisterWorker(0, "h0"));
        for (long r = 5; r <= 8; r++) h0.Send(tap, new HonestCopy(r, [1f]));
        tap.Tell(new CraftRequest(2, 0), TestActor);
        Assert.Empty(ExpectMsg<CraftedVector>(TimeSpan.FromSeconds(5)).Vector);
    }

    /// <summary>A tap (300 ms timeout) with honest workers h0 and h1 registered and a Byzantine request for round 1.</summary>
    private (IActorRef Tap, FakeInnerProduct Attack, Akka.TestKit.TestProbe H1) TapWithTwoHonestWorkersAndARequest()
    {
        var attack = new FakeInnerProduct();
        var tap = Sys.ActorOf(AdversaryTapActor.Props(attack, 3, 1, 1, TimeSpan.FromMilliseconds(300)));
        var h0 = CreateTestProbe();
        var h1 = CreateTestProbe();
        h0.Send(tap, new RegisterWorker(0, "h0"));
        h1.Send(tap, new RegisterWorker(1, "h1"));
        tap.Tell(new CraftRequest(1, 0), TestActor);
        return (tap, attack, h1);
    }

    [Fact]
    public void The_adversary_tap_must_answer_with_the_first_honest_vector_after_a_timeout_with_none()
    {
        var (tap, attack, h1) = TapWithTwoHonestWorkersAndARequest();
        // The timeout fires with no honest vector: answering with nothing would leave the round short, so it waits.
        ExpectNoMsg(TimeSpan.FromMilliseconds(900));
        h1.Send(tap, new HonestCopy(1, [1f, 1f]));
        Assert.Equal([-10f, -10f], ExpectMsg<CraftedVector>(TimeSpan.FromSeconds(10)).Vector); // crafted from h1 alone
        Assert.Equal([1], attack.HonestCounts);
    }

    [Fact]
    public void The_adversary_tap_must_not_block_the_barrier_when_an_honest_vector_never_comes()
    {
        var (tap, attack, h1) = TapWithTwoHonestWorkersAndARequest();
        h1.Send(tap, new HonestCopy(1, [2f, 2f])); // h0 never answers
        Assert.Equal([-20f, -20f], ExpectMsg<CraftedVector>(TimeSpan.FromSeconds(10)).Vector);
    }
}
