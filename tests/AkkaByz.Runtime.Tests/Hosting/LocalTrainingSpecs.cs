using Akka.Configuration;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Tests.Doubles;

namespace AkkaByz.Runtime.Tests.Hosting;

/// <summary>The local host end to end with test doubles for the math (fast; the real math is exercised in EndToEndSpecs).</summary>
public sealed class LocalTrainingSpecs
{
    private const int D = 4;

    internal static RunComponents Fakes(string hocon, Func<int, int, Core.Aggregation.IAggregator>? rule = null, Core.Attacks.IAttack? attack = null)
    {
        var settings = AkkaByzSettings.Create(ConfigurationFactory.ParseString(hocon));
        var m = settings.Workers;
        var data = FakeData.Rows(20 * m, D);
        var x0 = new float[D];
        new FakeQuadraticModel(D).Initialize(x0, settings.Seed);
        return new RunComponents
        {
            Settings = settings,
            Train = data,
            Test = data,
            Shards = Enumerable.Range(0, m).Select(i => Enumerable.Range(20 * i, 20).ToArray()).ToArray(),
            InitialParameters = x0,
            CreateModel = () => new FakeQuadraticModel(D),
            CreateWorkerOptimizer = _ => Sgd.Worker(),
            CreateServerOptimizer = x => Sgd.Server(x, (float)settings.Optimizer.LearningRate),
            CreateAggregator = (n, f) => (rule ?? ((a, b) => new FakeTrimmed(a, b)))(n, f),
            CreateAttack = attack is null ? null : () => attack,
        };
    }

    private static readonly LocalTrainingOptions Options = new() { AkkaConfig = TestConfig.SerializeEverything };

    private const string Base = "akkabyz { workers = 7, byzantine = 2, attack = none, rounds = 30, eval-interval = 10, batch-size = 4, optimizer.lr = 0.3, barrier.round-deadline = 20s }";

    [Fact]
    public async Task Local_training_must_learn_and_write_metrics_summary_and_chart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var rows = new List<Metrics.MetricsRow>();
            var result = await LocalTraining.RunAsync(Fakes(Base), Options with { OutputDirectory = dir, OnRow = r => { lock (rows) rows.Add(r); } });
            Assert.True(result.Run.Completed, result.Run.Reason);
            Assert.Equal(30, result.Rounds);
            Assert.True(result.Final.Accuracy > 0.8, $"accuracy {result.Final.Accuracy}");
            Assert.Equal(31, result.Rows.Count);
            Assert.Equal(Enumerable.Range(0, 31).Select(i => (long)i), result.Rows.Select(r => r.Round)); // row 0: the starting point
            Assert.True(result.Rows[0].Evaluated);
            Assert.True(result.Rows[0].TestAccuracy < result.Final.Accuracy);
            Assert.True(result.Rows.Where(r => r.Round % 10 == 0).All(r => r.Evaluated)); // every 10th, and the final one
            Assert.All(result.Rows.Skip(1), r => Assert.Equal(7, r.Received));
            Assert.Equal(result.Final.Accuracy, result.Rows[^1].TestAccuracy);
            Assert.Equal(2 * 30, result.Run.Suspects); // the trimmed rule discards f per round

            var csv = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.Equal(Metrics.MetricsRow.CsvHeader, csv[0]);
            Assert.Equal(32, csv.Length);
            var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;
            Assert.Equal(result.Final.Accuracy, summary.GetProperty("final_test_accuracy").GetDouble());
            Assert.Equal(7, summary.GetProperty("config").GetProperty("workers").GetInt32());
            Assert.Equal(60, summary.GetProperty("suspects_trimmed").GetInt64());
            var png = File.ReadAllBytes(Path.Combine(dir, "chart.png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.True(rows.Count >= 30); // the display saw (almost) every row while training
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task A_part_that_cannot_be_built_must_fail_the_run_with_its_own_exception()
    {
        // The run's models are made while its host is configured (LocalTrainingHosting), before any actor starts.
        var fakes = Fakes(Base);
        var broken = new RunComponents
        {
            Settings = fakes.Settings, Train = fakes.Train, Test = fakes.Test, Shards = fakes.Shards, InitialParameters = fakes.InitialParameters,
            CreateModel = () => throw new InvalidOperationException("this model cannot be built"),
            CreateWorkerOptimizer = fakes.CreateWorkerOptimizer, CreateServerOptimizer = fakes.CreateServerOptimizer,
            CreateAggregator = fakes.CreateAggregator, CreateAttack = fakes.CreateAttack,
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalTraining.RunAsync(broken, Options));
        Assert.Equal("this model cannot be built", e.Message);
    }

    [Fact]
    public async Task Local_training_must_be_bitwise_reproducible()
    {
        var a = await LocalTraining.RunAsync(Fakes(Base), Options);
        var b = await LocalTraining.RunAsync(Fakes(Base), Options);
        Assert.Equal(a.FinalParameters.Select(BitConverter.SingleToInt32Bits), b.FinalParameters.Select(BitConverter.SingleToInt32Bits));
        var c = await LocalTraining.RunAsync(Fakes(Base.Replace("rounds = 30", "rounds = 30, seed = 2")), Options);
        Assert.NotEqual(a.FinalParameters, c.FinalParameters);
    }

    [Fact]
    public async Task Invalid_messages_from_faulty_links_must_be_rejected_and_leave_the_parameters_unchanged()
    {
        var clean = await LocalTraining.RunAsync(Fakes(Base), Options);
        var faulty = await LocalTraining.RunAsync(Fakes(Base.Replace("attack = none",
            "attack = none, faults.messages = [\"1:nan\", \"2:wrong-length\", \"3:replay\", \"4:duplicate\", \"5:nan@7\"]")), Options);
        Assert.True(faulty.Run.Completed, faulty.Run.Reason);
        Assert.Equal(clean.FinalParameters, faulty.FinalParameters);
        // Each faulty copy follows the real update; in the last round the real update can close the barrier and end
        // the run before the copy is read, so the last round's copy may go uncounted (30 + 1 NaN copies, 30 truncated).
        Assert.InRange(faulty.Run.Rejected[RejectReasons.NonFinite], 30, 31);
        Assert.InRange(faulty.Run.Rejected[RejectReasons.WrongLength], 29, 30);
        // 29 replays (stale, from round 2 on) and 30 duplicate copies (duplicate or late while their round is open or
        // aggregating, stale once the next round has started; the last round's copy may arrive after the run ended).
        var r = faulty.Run.Rejected;
        Assert.InRange(r[RejectReasons.Stale] + r[RejectReasons.Duplicate] + r[RejectReasons.Late], 29 + 29, 29 + 30);
        // Replays are stale from round 2 on; the last one (round 29's, sent in round 30) may arrive after the run ended.
        Assert.True(r[RejectReasons.Stale] >= 28, $"{r[RejectReasons.Stale]} stale");
        Assert.Equal(0, r[RejectReasons.Unregistered] + r[RejectReasons.Future]);
    }

    [Fact]
    public async Task A_crashed_worker_must_be_excluded_and_training_must_continue()
    {
        var result = await LocalTraining.RunAsync(Fakes(Base.Replace("attack = none", "attack = none, faults.crash = [\"3@5\"]")), Options);
        Assert.True(result.Run.Completed, result.Run.Reason);
        Assert.Equal(30, result.Rounds);
        Assert.Equal(4 * 7 + 26 * 6, result.Run.UpdatesAccepted);
        Assert.Equal(6, result.Rows[^1].Received);
        Assert.True(result.Final.Accuracy > 0.8);
    }

    [Fact]
    public async Task Omniscient_and_non_omniscient_byzantine_workers_must_run_through_the_runtime()
    {
        var ipm = new FakeInnerProduct();
        var robust = await LocalTraining.RunAsync(Fakes(Base.Replace("attack = none", "attack = ipm"), attack: ipm), Options);
        Assert.True(robust.Run.Completed, robust.Run.Reason);
        Assert.All(ipm.HonestCounts, c => Assert.Equal(5, c)); // the tap always waited for the 5 honest vectors
        Assert.Equal(2 * 30, ipm.HonestCounts.Count);
        Assert.True(robust.Final.Accuracy > 0.8, $"robust rule under IPM: {robust.Final.Accuracy}");

        var naive = await LocalTraining.RunAsync(Fakes(Base.Replace("attack = none", "attack = sf"), (n, f) => new FakeMean(n, f), new FakeSignFlip()), Options);
        Assert.True(naive.Final.Accuracy < 0.2, $"mean under SF: {naive.Final.Accuracy}");
    }

    [Fact]
    public async Task A_straggler_beyond_the_deadline_must_be_left_out_of_its_rounds()
    {
        var result = await LocalTraining.RunAsync(Fakes(Base.Replace("rounds = 30", "rounds = 4")
            .Replace("barrier.round-deadline = 20s", "barrier.round-deadline = 600ms, faults.stragglers = [\"6:1500ms\"]")), Options);
        Assert.True(result.Run.Completed, result.Run.Reason);
        Assert.All(result.Rows.Where(r => r.Round > 0), r => Assert.Equal(6, r.Received));
        Assert.True(result.Run.Rejected[RejectReasons.Stale] + result.Run.Rejected[RejectReasons.Late] >= 1);
    }

    [Fact]
    public void Rounds_must_derive_from_epochs_over_the_smallest_shard_when_rounds_is_zero()
    {
        Assert.Equal(10, Fakes(Base.Replace("rounds = 30", "rounds = 0, epochs = 2")).Rounds); // 2 × 20 / 4
        Assert.Equal(30, Fakes(Base).Rounds);
    }

    [Fact]
    public async Task A_failing_aggregation_rule_must_stop_the_run_saying_why()
    {
        var result = await LocalTraining.RunAsync(Fakes(Base, (n, f) => new ThrowingRule(n, f)), Options);
        Assert.False(result.Run.Completed);
        Assert.Contains("round 1: aggregation with 'throwing' failed: boom", result.Run.Reason);
    }

    private sealed class ThrowingRule(int m, int f) : Core.Aggregation.IAggregator
    {
        public string Spec => "throwing";
        public int M => m;
        public int F => f;
        public Core.Aggregation.AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output) => throw new ArgumentException("boom");
    }
}
