using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// A local run's actor system on Akka.Hosting: <see cref="WithLocalTraining"/> adds its configuration (and, with
/// <see cref="LocalTrainingOptions.Logging"/>, Akka's log through Microsoft.Extensions.Logging) and starts its actors with
/// <c>WithActors</c>, registering them in the <see cref="ActorRegistry"/> under the key types below.
/// <see cref="LocalTraining"/> builds its host with it; the Akka.Hosting.TestKit specs configure theirs with the same call.
/// </summary>
public static class LocalTrainingHosting
{
    /// <summary>The actor system's name.</summary>
    public const string SystemName = "akkabyz-local";

    /// <summary>The ActorRegistry key of the run's metrics sink (<c>/user/metrics</c>, <see cref="MetricsSinkActor"/>).</summary>
    public sealed class MetricsSink;

    /// <summary>The ActorRegistry key of the run's evaluator (<c>/user/evaluator</c>, <see cref="EvaluatorActor"/>).</summary>
    public sealed class Evaluator;

    /// <summary>The ActorRegistry key of the run's aggregator (<c>/user/aggregator</c>, <see cref="AggregatorActor"/>): ask it <see cref="Protocol.WatchRun"/>.</summary>
    public sealed class Aggregator;

    /// <summary>The ActorRegistry key of the adversary tap (<c>/user/adversary-tap</c>), registered only for an omniscient attack.</summary>
    public sealed class AdversaryTap;

    /// <summary>
    /// The run's Akka configuration: <see cref="LocalTrainingOptions.AkkaConfig"/> over the local defaults (log levels,
    /// no dead-letter logging, a stopping guardian) over <see cref="AkkaByzConfig.Reference"/>.
    /// </summary>
    public static Config ActorSystemConfig(LocalTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = ConfigurationFactory.ParseString($$"""
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
        if (options.AkkaConfig is not null) config = options.AkkaConfig.WithFallback(config);
        if (options.Logging is not null) config = ConfigurationFactory.ParseString("akka.stdout-loglevel = OFF").WithFallback(config);
        return config.WithFallback(AkkaByzConfig.Reference);
    }

    /// <summary>
    /// Configures the actor system for the run of <paramref name="plan"/>: <see cref="ActorSystemConfig"/> (prepended: it
    /// wins over HOCON added before, e.g. a test kit's defaults), the loggers when <see cref="LocalTrainingOptions.Logging"/>
    /// is set, and the run's actors started by Akka.Hosting (<see cref="WithLocalTrainingActors"/>).
    /// </summary>
    public static AkkaConfigurationBuilder WithLocalTraining(this AkkaConfigurationBuilder akka, RunPlan plan, LocalTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(akka);
        ArgumentNullException.ThrowIfNull(options);
        akka.AddHocon(ActorSystemConfig(options), HoconAddMode.Prepend);
        if (options.Logging is not null)
            akka.ConfigureLoggers(l =>
            {
                l.LogLevel = options.LogLevel.ToUpperInvariant() switch
                {
                    "DEBUG" => Akka.Event.LogLevel.DebugLevel,
                    "INFO" => Akka.Event.LogLevel.InfoLevel,
                    "WARNING" => Akka.Event.LogLevel.WarningLevel,
                    _ => Akka.Event.LogLevel.ErrorLevel,
                };
                l.ClearLoggers();
                l.AddLoggerFactory();
            });
        return akka.WithLocalTrainingActors(plan, options);
    }

    /// <summary>
    /// Starts the run's actors when the actor system starts (<c>WithActors</c>): metrics sink, evaluator, aggregator,
    /// adversary tap (omniscient attacks) and the m worker actors of <paramref name="plan"/> (the Byzantine slots'
    /// actors from <see cref="WorkerProps"/>), all talking only through serializable messages. The sink writes
    /// metrics.csv into <see cref="LocalTrainingOptions.OutputDirectory"/> when set (the caller prepares the folder:
    /// <see cref="RunOutput.Prepare"/>). The workers register with the aggregator, which starts round 1 once enough have.
    /// Call it once per host: the run's models, server optimizer and worker computations are made by this call and
    /// owned by the actors it starts.
    /// </summary>
    public static AkkaConfigurationBuilder WithLocalTrainingActors(this AkkaConfigurationBuilder akka, RunPlan plan, LocalTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(akka);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var components = plan.Components;
        var settings = components.Settings;
        var rounds = components.Rounds;
        var csv = options.OutputDirectory is { } dir ? RunOutput.MetricsPath(dir) : null;
        // The parts that can fail (models, the server's optimizer, the workers' computations) are made now, while the
        // host is configured: a failure is thrown by the host's start as itself, before any actor exists.
        var evaluatorModel = components.CreateModel();
        var server = components.CreateServerOptimizer((float[])components.InitialParameters.Clone());
        var computations = plan.Slots.Select(slot => plan.CreateComputation(slot.Index)).ToArray();
        return akka.WithActors((system, registry) =>
        {
            var metrics = system.ActorOf(MetricsSinkActor.Props(csv, settings.EvalInterval, options.OnRow, options.MetricsSeriesCapacity,
                run: RunDescription.From(settings, rounds)), "metrics");
            registry.Register<MetricsSink>(metrics);
            var evaluator = system.ActorOf(EvaluatorActor.Props(evaluatorModel, components.Test, metrics), "evaluator");
            registry.Register<Evaluator>(evaluator);
            var aggregator = system.ActorOf(AggregatorActor.Props(new AggregatorActor.Setup(
                settings.Workers, settings.Byzantine, rounds, settings.EvalInterval, settings.Barrier, server,
                components.CreateAggregator, evaluator, metrics, IsByzantineSlot: settings.IsByzantine)), "aggregator");
            registry.Register<Aggregator>(aggregator);

            IActorRef? tap = null;
            if (plan.IsOmniscient)
            {
                tap = system.ActorOf(AdversaryTapActor.Props(plan.Attack!, settings.Workers, settings.Byzantine, settings.Seed, settings.Barrier.TapTimeout), "adversary-tap");
                registry.Register<AdversaryTap>(tap);
            }
            foreach (var slot in plan.Slots)
            {
                var i = slot.Index;
                system.ActorOf(WorkerProps.For(plan, i, slot.IsByzantine ? $"byzantine-{i}" : $"worker-{i}", aggregator, computations[i], tap), $"worker-{i}");
            }
        });
    }
}
