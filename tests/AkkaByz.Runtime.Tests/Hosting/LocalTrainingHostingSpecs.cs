using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Metrics;
using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Tests.Hosting;

/// <summary>
/// The local run's actors on Akka.Hosting.TestKit: the test kit's host configures its actor system with the product's
/// own <see cref="LocalTrainingHosting.WithLocalTraining"/> (what <see cref="LocalTraining"/> does), so the run's actors
/// start with it; the specs find them in the <see cref="ActorRegistry"/> and drive a short logistic-regression run on
/// the synthetic task (the default settings) under an omniscient attack (ALIE: the adversary tap runs too).
/// </summary>
public sealed class LocalTrainingHostingSpecs(ITestOutputHelper output)
    : Akka.Hosting.TestKit.TestKit(LocalTrainingHosting.SystemName, output, logLevel: Microsoft.Extensions.Logging.LogLevel.Warning)
{
    private const int Rounds = 15;

    private static AkkaByzSettings Settings => AkkaByzSettings.Default with { Attack = "alie", Rounds = Rounds, EvalInterval = 5 };

    private static readonly LocalTrainingOptions Options = new() { AkkaConfig = TestConfig.SerializeEverything };

    private static readonly TimeSpan RunPatience = TimeSpan.FromMinutes(3);

    private readonly ConcurrentQueue<MetricsRow> _rows = new();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithLocalTraining(RunPlan.For(RunComposer.Compose(Settings)), Options with { OnRow = _rows.Enqueue });

    [Fact]
    public async Task The_hosted_run_must_complete_every_round_and_end_at_the_parameters_LocalTraining_computes()
    {
        var aggregator = await ActorRegistry.GetAsync<LocalTrainingHosting.Aggregator>();
        aggregator.Tell(WatchRun.Instance, TestActor);
        var run = ExpectMsg<RunCompleted>(RunPatience);
        Assert.True(run.Completed, run.Reason);
        Assert.Equal(Rounds, run.Rounds);
        Assert.Equal(Rounds * (long)Settings.Workers, run.UpdatesAccepted); // every worker's update (honest and ALIE) accepted in every round

        // The aggregator reported every round to the metrics sink, once, in order; every round heard from every worker.
        var result = await RunOutput.CollectAsync(ActorRegistry.Get<LocalTrainingHosting.Evaluator>(),
            ActorRegistry.Get<LocalTrainingHosting.MetricsSink>(), run, directory: null, setupSeconds: 0);
        var rounds = result.Rows.Where(r => r.Round >= 1).ToList();
        Assert.Equal(Enumerable.Range(1, Rounds).Select(i => (long)i), rounds.Select(r => r.Round));
        Assert.All(rounds, r => Assert.Equal(Settings.Workers, r.Received));
        Assert.Equal(rounds.Select(r => r.Round), _rows.Where(r => r.Round >= 1).Select(r => r.Round)); // what OnRow saw while training
        Assert.True(result.Final.Accuracy > 0.5, $"accuracy {result.Final.Accuracy}");

        // The same seed through LocalTraining (its own host) and through the plain loop: the same parameters, bit for bit.
        var local = await LocalTraining.RunAsync(Settings, Options);
        Assert.Equal(local.FinalParameters.Select(BitConverter.SingleToInt32Bits), run.FinalParameters.Select(BitConverter.SingleToInt32Bits));
        var (plain, _) = PlainLoop.Run(RunComposer.Compose(Settings), Rounds);
        Assert.Equal(plain.Select(BitConverter.SingleToInt32Bits), run.FinalParameters.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(local.Rows.Select(r => r.Round), result.Rows.Select(r => r.Round));
    }

    [Fact]
    public async Task The_registry_must_hold_the_runs_actors_and_the_system_must_have_the_runs_configuration()
    {
        Assert.Equal("/user/aggregator", (await ActorRegistry.GetAsync<LocalTrainingHosting.Aggregator>()).Path.ToStringWithoutAddress());
        Assert.Equal("/user/evaluator", ActorRegistry.Get<LocalTrainingHosting.Evaluator>().Path.ToStringWithoutAddress());
        Assert.Equal("/user/metrics", ActorRegistry.Get<LocalTrainingHosting.MetricsSink>().Path.ToStringWithoutAddress());
        Assert.Equal("/user/adversary-tap", ActorRegistry.Get<LocalTrainingHosting.AdversaryTap>().Path.ToStringWithoutAddress());
        // (The workers, /user/worker-i, are not looked up here: they may have stopped once the short run ended; the run
        // spec before shows every one of them took part in every round.)

        // The product's configuration wins over the test kit's defaults: a failing actor is stopped, not restarted, and
        // (the options' extra HOCON) every message goes through the serializer.
        Assert.Equal("Akka.Actor.StoppingSupervisorStrategy", Sys.Settings.SupervisorStrategyClass);
        Assert.True(Sys.Settings.SerializeAllMessages);
        Assert.Equal(LocalTrainingHosting.SystemName, Sys.Name);
    }
}
