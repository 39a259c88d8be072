using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
        if (options.OutputDirectory is { } dir) RunOutput.Prepare(dir);

        // Which slots are Byzantine, their data, computations and attacks: the run plan (the same for worker nodes and PlainLoop).
        var plan = RunPlan.For(components);
        // The actor system by Akka.Hosting on a generic host without a console lifetime: Ctrl-C is the command's (it
        // ends the run after its last completed round, below), and tests run many of these in one process. The run's
        // actors start with the host (LocalTrainingHosting.WithLocalTraining) and are found in the ActorRegistry.
        using var host = BuildHost(plan, options);
        await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        try
        {
            var aggregator = registry.Get<LocalTrainingHosting.Aggregator>();
            var evaluator = registry.Get<LocalTrainingHosting.Evaluator>();
            var metrics = registry.Get<LocalTrainingHosting.MetricsSink>();
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
            run = run with { Reason = RunAdvice.Explain(settings, plan.IsOmniscient, run.Reason) };

            var result = await RunOutput.CollectAsync(evaluator, metrics, run, options.OutputDirectory, setupSeconds).ConfigureAwait(false);
            if (options.OutputDirectory is { } outputs) RunOutput.Write(outputs, settings, rounds, result);
            return result;
        }
        finally
        {
            // Akka.Hosting's hosted service runs CoordinatedShutdown (the system terminates).
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static IHost BuildHost(RunPlan plan, LocalTrainingOptions options)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "akkabyz-train" });
        builder.Logging.ClearProviders();
        if (options.Logging is { } logging) builder.Services.AddSingleton(logging);
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.AddAkka(LocalTrainingHosting.SystemName, akka => akka.WithLocalTraining(plan, options));
        return builder.Build();
    }

    /// <summary>The host's lifetime when the command owns the signals: starts and stops with the run, handles none.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
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
}
