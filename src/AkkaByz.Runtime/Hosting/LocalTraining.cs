using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Metrics;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// Runs one training job in a single, port-less actor system: metrics sink, evaluator, aggregator, adversary tap
/// (omniscient attacks), and m worker actors (the last f Byzantine), all talking only through serializable
/// messages, exactly as across processes. Waits for the aggregator's <see cref="RunCompleted"/>, evaluates the
/// final point, writes metrics.csv / summary.json / parameters.bin / chart.png, and shuts the system down. On
/// cancellation (Ctrl-C) the run ends after its last completed round and the same outputs are written for it.
/// </summary>
public static class LocalTraining
{
    /// <summary>Composes the run from its settings (<see cref="RunComposer"/>) and runs it.</summary>
    public static Task<TrainingResult> RunAsync(AkkaByzSettings settings, LocalTrainingOptions? options = null, CancellationToken cancellation = default)
    {
        var setup = Stopwatch.StartNew();
        var components = RunComposer.Compose(settings);
        return RunAsync(components, options, cancellation, setup);
    }

    /// <summary>Runs already-composed components (tests pass hand-made ones).</summary>
    public static async Task<TrainingResult> RunAsync(RunComponents components, LocalTrainingOptions? options = null,
        CancellationToken cancellation = default, Stopwatch? setupClock = null)
    {
        options ??= new LocalTrainingOptions();
        var setup = setupClock ?? Stopwatch.StartNew();
        var settings = components.Settings;
        var rounds = components.Rounds;
        options.OnComposed?.Invoke(components);
        string? csv = null;
        if (options.OutputDirectory is { } dir)
        {
            RunOutput.Prepare(dir);
            csv = Path.Combine(dir, "metrics.csv");
        }

        var akkaConfig = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{options.LogLevel}}
              stdout-loglevel = WARNING
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              actor.serialize-creators = off
              # An actor that throws is stopped, not restarted with fresh state: a worker that fails counts as a
              # crash (DeathWatch removes it); an aggregator that fails ends the run with an error.
              actor.guardian-supervisor-strategy = "Akka.Actor.StoppingSupervisorStrategy"
            }
            """);
        if (options.AkkaConfig is not null) akkaConfig = options.AkkaConfig.WithFallback(akkaConfig);
        var system = ActorSystem.Create("akkabyz-local", akkaConfig.WithFallback(AkkaByzConfig.Reference));
        try
        {
            var metrics = system.ActorOf(MetricsSinkActor.Props(csv, settings.EvalInterval, options.OnRow, options.MetricsSeriesCapacity,
                run: RunDescription.From(settings, rounds)), "metrics");
            var evaluator = system.ActorOf(EvaluatorActor.Props(components.CreateModel(), components.Test, metrics), "evaluator");
            var server = components.CreateServerOptimizer((float[])components.InitialParameters.Clone());
            var aggregator = system.ActorOf(AggregatorActor.Props(new AggregatorActor.Setup(
                settings.Workers, settings.Byzantine, rounds, settings.EvalInterval, settings.Barrier, server,
                components.CreateAggregator, evaluator, metrics, IsByzantineSlot: settings.IsByzantine)), "aggregator");

            var attack = settings.IsNoAttack || settings.Byzantine == 0 ? null : components.CreateAttack?.Invoke();
            IActorRef? tap = attack is { NeedsHonestVectors: true }
                ? system.ActorOf(AdversaryTapActor.Props(attack, settings.Workers, settings.Byzantine, settings.Seed, settings.Barrier.TapTimeout), "adversary-tap")
                : null;
            DataSet? poisoned = attack is null || attack.NeedsHonestVectors ? null : Core.Attacks.LabelTransforms.TransformLabels(components.Train, attack);

            var byzantineIndex = 0;
            for (var i = 0; i < settings.Workers; i++)
            {
                var faults = WorkerFaults.From(settings, i);
                if (attack is not null && settings.IsByzantine(i))
                {
                    var computation = attack.NeedsHonestVectors ? null : Computation(components, i, poisoned ?? components.Train);
                    system.ActorOf(ByzantineWorkerActor.Props(i, $"byzantine-{i}", aggregator, faults, components.CreateAttack!(),
                        byzantineIndex++, settings.Workers, settings.Byzantine, settings.Seed, computation, tap), $"worker-{i}");
                }
                else
                {
                    system.ActorOf(WorkerActor.Props(i, $"worker-{i}", aggregator, Computation(components, i, components.Train), faults, tap), $"worker-{i}");
                }
            }
            var setupSeconds = setup.Elapsed.TotalSeconds;

            // Ctrl-C (cancellation) does not abandon the run: the aggregator ends it after its last completed round and
            // the outputs below are written for those rounds (the result says Completed = false, "interrupted ...").
            var completion = aggregator.Ask<RunCompleted>(WatchRun.Instance, RunTimeout(settings.Barrier, rounds), CancellationToken.None);
            var aggregatorStopped = aggregator.WatchAsync(CancellationToken.None);
            using (cancellation.Register(() => aggregator.Tell(new StopRun("interrupted"))))
            {
                if (await Task.WhenAny(completion, aggregatorStopped).ConfigureAwait(false) != completion)
                {
                    await Task.WhenAny(completion, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
                    if (!completion.IsCompletedSuccessfully)
                        throw new InvalidOperationException("The aggregator stopped before the run completed (see the error logged above).");
                }
            }
            var run = await completion.ConfigureAwait(false);
            run = run with { Reason = RunAdvice.Explain(settings, attack is { NeedsHonestVectors: true }, run.Reason) };

            var finalEval = await evaluator.Ask<EvaluationResult>(new EvaluateRequest(run.Rounds, run.FinalParameters), TimeSpan.FromMinutes(10), CancellationToken.None).ConfigureAwait(false);
            var snapshot = await metrics.Ask<MetricsSnapshot>(FlushMetrics.Instance, TimeSpan.FromMinutes(1), CancellationToken.None).ConfigureAwait(false);
            var result = new TrainingResult(run, new Evaluation(finalEval.Loss, finalEval.Accuracy), snapshot.Rows, options.OutputDirectory, setupSeconds);
            if (options.OutputDirectory is not null)
            {
                RunReport.WriteSummary(Path.Combine(options.OutputDirectory, "summary.json"), settings, rounds, result);
                // The same file as a cluster run's, so the two can be compared bit for bit.
                ParameterFile.Write(Path.Combine(options.OutputDirectory, "parameters.bin"), run.FinalParameters);
                if (settings.Output.Chart) TrainingChart.Write(Path.Combine(options.OutputDirectory, "chart.png"), snapshot.Rows, settings);
            }
            return result;
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    /// <summary>The longest Task.Delay / Ask accepts (about 24.8 days): a longer timeout throws at start.</summary>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <summary>
    /// A safety net over the whole run: the start timeout, every round at its deadline with every re-publication,
    /// and a minute, computed without overflow and capped at <see cref="MaxTimeout"/> (the aggregator's own deadlines
    /// end a stuck run long before).
    /// </summary>
    internal static TimeSpan RunTimeout(BarrierSettings barrier, long rounds)
    {
        var ms = barrier.StartTimeout.TotalMilliseconds + barrier.RoundDeadline.TotalMilliseconds * rounds * (barrier.MaxRetries + 1.0) + 60_000;
        return ms >= MaxTimeout.TotalMilliseconds ? MaxTimeout : TimeSpan.FromMilliseconds(ms);
    }

    private static WorkerComputation Computation(RunComponents c, int worker, DataSet data) =>
        WorkerComputation.For(c.CreateModel(), c.CreateWorkerOptimizer(worker), data, c.Shards[worker], c.Settings.BatchSize, c.Settings.Seed, worker,
            createHelper: c.CreateModel);
}
