using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Display;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz train</c>: one training run in a local actor system. With no arguments: the embedded synthetic task,
/// 17 workers of which 8 run ALIE, ctma(cwtm), µ²-SGD. Settings layer as reference.conf ← --config FILE ← flags.
/// </summary>
public static class TrainCommand
{
    /// <summary>A flag and the HOCON key it overrides; strings are quoted, numbers and durations are not.</summary>
    private sealed record Flag(Option Option, string Key, Func<ParseResult, string> Render);

    private static string Str(object v) => AkkaByzConfig.Quote((string)v);
    private static string Num(object v) => Convert.ToString(v, CultureInfo.InvariantCulture)!;
    private static string Duration(string flag, object v)
    {
        try
        {
            return Durations.Format(Durations.Parse((string)v));
        }
        catch (FormatException e)
        {
            throw new SettingsException($"{flag}: {e.Message}", e);
        }
    }
    private static string List(object v) => AkkaByzConfig.QuoteList((string[])v);
    private static string OnOff(object v) => (bool)v ? "on" : "off";

    public static Command Create()
    {
        var command = new Command("train", "Train in a local actor system (default: synthetic task, 17 workers, 8 ALIE, ctma(cwtm), µ²-SGD).");
        var flags = new List<Flag>();

        Option<T> Add<T>(string name, string key, string description, Func<object, string> render, params string[] aliases)
        {
            var option = new Option<T>(name, aliases) { Description = description };
            command.Options.Add(option);
            flags.Add(new Flag(option, key, p => render(p.GetValue(option)!)));
            return option;
        }

        Option<string[]> AddList(string name, string key, string description)
        {
            var option = new Option<string[]>(name) { Description = description, AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.OneOrMore };
            command.Options.Add(option);
            flags.Add(new Flag(option, key, p => List(p.GetValue(option)!)));
            return option;
        }

        var config = new Option<FileInfo>("--config") { Description = "HOCON file layered over the reference configuration (see hocon/)." };
        command.Options.Add(config);
        Add<string>("--data", "akkabyz.data.source", "synthetic | idx:DIR (MNIST/Fashion-MNIST) | cifar10:DIR.", Str);
        Add<string>("--model", "akkabyz.model", "logreg | mlp | cnn-mnist | cnn-cifar.", Str);
        Add<int>("--model-threads", "akkabyz.model-threads", "Torch intra-op threads per model instance.", Num);
        Add<int>("--workers", "akkabyz.workers", "m, the number of workers.", Num, "-m");
        Add<int>("--byzantine", "akkabyz.byzantine", "f, the number of Byzantine workers (2f < m).", Num, "-f");
        Add<string>("--attack", "akkabyz.attack", CatalogHelp.Attacks, Str);
        Add<string>("--aggregator", "akkabyz.aggregator", CatalogHelp.Rules, Str);
        Add<string>("--optimizer", "akkabyz.optimizer.name", "mu2 | momentum | sgd.", Str);
        Add<double>("--lr", "akkabyz.optimizer.lr", "Step size η.", Num);
        Add<double>("--beta", "akkabyz.optimizer.beta", "Worker momentum β (momentum optimizer).", Num);
        Add<double>("--beta-min", "akkabyz.optimizer.beta-min", "µ²-SGD floor of β_t.", Num);
        Add<double>("--gamma-min", "akkabyz.optimizer.gamma-min", "µ²-SGD floor of γ.", Num);
        Add<bool>("--theory", "akkabyz.optimizer.theory", "µ²-SGD theory step (α_t = t).", OnOff);
        Add<double>("--clip", "akkabyz.optimizer.clip", "Per-gradient norm clipping (0 = off).", Num);
        Add<double>("--weight-decay", "akkabyz.optimizer.weight-decay", "L2 weight decay.", Num);
        Add<int>("--batch", "akkabyz.batch-size", "Minibatch size per worker.", Num);
        Add<string>("--partition", "akkabyz.data.partition", CatalogHelp.Partitions, Str);
        Add<string>("--normalization", "akkabyz.data.normalization", "auto | unit-range | standardize | standardize(MEAN,STD).", Str);
        Add<int>("--max-train", "akkabyz.data.max-train", "Use at most this many training examples (0 = all).", Num);
        Add<long>("--rounds", "akkabyz.rounds", "Rounds to run (0 = use --epochs).", Num);
        Add<int>("--epochs", "akkabyz.epochs", "Epochs over each shard when --rounds is 0.", Num);
        Add<int>("--eval-every", "akkabyz.eval-interval", "Evaluate on the test set every N rounds (0 = only at the end).", Num);
        Add<int>("--seed", "akkabyz.seed", "Seed of everything random.", Num);
        Add<string>("--deadline", "akkabyz.barrier.round-deadline", "Round deadline with a unit: 500ms, 5s, 1m.", v => Duration("--deadline", v));
        Add<int>("--quorum", "akkabyz.barrier.quorum", "Minimum valid updates per round (0 = 2f + 1).", Num);
        AddList("--crash", "akkabyz.faults.crash", "Crash worker K at round R: K@R (repeatable).");
        Add<double>("--crash-rate", "akkabyz.faults.crash-rate", "Per-worker, per-round crash probability.", Num);
        AddList("--straggler", "akkabyz.faults.stragglers", "Worker K delays replies: K:DELAY, e.g. 2:300ms (repeatable).");
        AddList("--fault", "akkabyz.faults.messages", "Message fault K:KIND[@R], KIND = drop|duplicate|wrong-length|nan|replay (repeatable).");
        Add<string>("--out", "akkabyz.output.dir", "Output folder (default runs/<timestamp>).", Str);
        Add<bool>("--no-chart", "akkabyz.output.chart", "Do not write chart.png and trimming.png.", v => OnOff(!(bool)v));
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only the final summary." };
        command.Options.Add(quiet);
        var logLevel = new Option<string>("--log-level") { Description = "Log level, Akka's log included: trace | debug | info | warning (default) | error | off." };
        logLevel.AcceptOnlyFromAmong([.. NodeLoggerFactory.Levels]);
        command.Options.Add(logLevel);
        var rawLog = new Option<bool>("--raw-log") { Description = "Akka's own log lines ([WARNING][date][Thread][path] ...) on stdout instead of one readable line per event on stderr." };
        command.Options.Add(rawLog);
        var plugins = CatalogHelp.PluginOption();
        command.Options.Add(plugins);
        var watch = new WatchOptions(command);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                PluginLoader.Load(parse.GetValue(plugins) ?? []);
                var overrides = flags
                    .Where(f => parse.GetResult(f.Option) is { Implicit: false })
                    .Select(f => new KeyValuePair<string, string>(f.Key, f.Render(parse)))
                    .ToList();
                var settings = AkkaByzSettings.Create(AkkaByzConfig.Load(parse.GetValue(config)?.FullName, overrides));
                var outDir = settings.Output.Directory.Length > 0
                    ? settings.Output.Directory
                    : Path.Combine("runs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
                var display = new ProgressDisplay(output, parse.GetValue(quiet));
                var level = NodeLoggerFactory.Parse(parse.GetValue(logLevel) ?? "warning");
                await using var watching = await watch.StartAsync(parse, "train", output, error, cancellation).ConfigureAwait(false);
                var result = await LocalTraining.RunAsync(settings,
                    new LocalTrainingOptions
                    {
                        OutputDirectory = outDir, OnRow = display.OnRow, OnComposed = display.Composed,
                        Logging = parse.GetValue(rawLog) ? null : new ConsoleLogger(error, level),
                        LogLevel = NodeLoggerFactory.AkkaLevel(level),
                    },
                    cancellation).ConfigureAwait(false);
                display.Summary(settings, result);
                if (watching.Server is { } server && !cancellation.IsCancellationRequested)
                {
                    // The page stays up to be read: the run is over, the process waits for Ctrl-C.
                    await Runtime.Metrics.RunFeed.DrainAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); // the last rows reach the page first
                    watching.State!.Finished(result.Run.Completed ? $"finished: {result.Run.Rounds} rounds, final test accuracy {100 * result.Final.Accuracy:0.00}%" : result.Run.Reason);
                    output.WriteLine($"dashboard: the run is over; still serving {server.Url} until Ctrl-C");
                    try { await Task.Delay(Timeout.Infinite, cancellation).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                    return result.Run.Completed ? 0 : 3;
                }
                if (cancellation.IsCancellationRequested)
                {
                    error.WriteLine($"akkabyz train: interrupted after round {result.Rounds}; the outputs in {outDir}/ cover the completed rounds.");
                    return 130;
                }
                if (!result.Run.Completed)
                {
                    error.WriteLine($"akkabyz train: the run did not complete: {result.Run.Reason}");
                    return 3;
                }
                return 0;
            }
            catch (OperationCanceledException)
            {
                error.WriteLine("akkabyz train: cancelled.");
                return 130;
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                error.WriteLine($"akkabyz train: {UserErrors.Describe(e)}");
                return 2;
            }
        });
        return command;
    }
}
