using System.CommandLine;
using System.Globalization;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench runtime</c>: rounds per second of the local actor runtime (17 workers, 8 ALIE, ctma(cwtm),
/// µ²-SGD, batch 4) for the logistic model and the CNN, against the same computation in a plain loop
/// (<see cref="PlainLoop"/>: Parallel.For over the workers, no actors). Overhead = plain rate / actor rate − 1.
/// Each figure is the best of --repeat timed runs after a warm-up; both modes also print whether their final
/// parameters are bit-identical (they must be). With --dashboard each repeat also times the actor runtime while the
/// live dashboard serves an open page (a server-sent-events client reading every event): cost = 1 − watched / actor rate.
/// </summary>
public static class BenchRuntimeCommand
{
    public static Command Create()
    {
        var command = new Command("runtime", "Rounds/s of the actor runtime vs the same computation in a plain loop (overhead %).");
        var models = new Option<string>("--models") { Description = "Comma-separated models to time.", DefaultValueFactory = _ => "logreg,cnn-mnist" };
        var logregRounds = new Option<int>("--logreg-rounds") { Description = "Rounds per timed logreg run.", DefaultValueFactory = _ => 300 };
        var cnnRounds = new Option<int>("--cnn-rounds") { Description = "Rounds per timed CNN run.", DefaultValueFactory = _ => 30 };
        var cnnData = new Option<string>("--cnn-data") { Description = "Data for the CNNs (IDX directory spec).", DefaultValueFactory = _ => "fashion-mnist" };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per mode (best is reported).", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "Minibatch per worker.", DefaultValueFactory = _ => 4 };
        var attack = new Option<string>("--attack") { Description = "Attack of the 8 Byzantine workers.", DefaultValueFactory = _ => "alie" };
        var dashboard = new Option<bool>("--dashboard") { Description = "Also time the actor runtime with the live dashboard serving an open page (server-sent events), in the same loop: its cost in %." };
        foreach (var o in new Option[] { models, logregRounds, cnnRounds, cnnData, repeat, batch, attack, dashboard }) command.Options.Add(o);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                output.WriteLine($"bench runtime: 17 workers (8 {parse.GetValue(attack)}), ctma(cwtm), mu2, batch {parse.GetValue(batch)}, {Environment.ProcessorCount} cores; best of {parse.GetValue(repeat)}");
                var withDashboard = parse.GetValue(dashboard);
                output.WriteLine("| model | d | rounds | actor runtime (rounds/s) | plain loop (rounds/s) | overhead | identical |" +
                                 (withDashboard ? " with dashboard (rounds/s) | dashboard cost |" : ""));
                output.WriteLine("|---|---|---|---|---|---|---|" + (withDashboard ? "---|---|" : ""));
                foreach (var model in parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var isLogreg = model == "logreg";
                    var rounds = isLogreg ? parse.GetValue(logregRounds) : parse.GetValue(cnnRounds);
                    var settings = AkkaByzSettings.Default with
                    {
                        Model = model,
                        Attack = parse.GetValue(attack)!,
                        BatchSize = parse.GetValue(batch),
                        EvalInterval = 0,
                        Rounds = rounds,
                        Data = AkkaByzSettings.Default.Data with { Source = DataSourceSpec.Parse(isLogreg ? "synthetic" : parse.GetValue(cnnData)!) },
                    };
                    settings.Validate();
                    var row = await Measure(settings, rounds, parse.GetValue(repeat), withDashboard, cancellation).ConfigureAwait(false);
                    output.WriteLine(row);
                }
                return 0;
            }
            catch (Exception e) when (e is SettingsException or ArgumentException)
            {
                error.WriteLine($"akkabyz bench runtime: {e.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
        });
        return command;
    }

    private static async Task<string> Measure(AkkaByzSettings settings, int rounds, int repeat, bool withDashboard, CancellationToken cancellation)
    {
        var components = RunComposer.Compose(settings);
        var warm = new RunComponents
        {
            Settings = settings with { Rounds = 5 },
            Train = components.Train, Test = components.Test, Shards = components.Shards, InitialParameters = components.InitialParameters,
            CreateModel = components.CreateModel, CreateWorkerOptimizer = components.CreateWorkerOptimizer,
            CreateServerOptimizer = components.CreateServerOptimizer, CreateAggregator = components.CreateAggregator, CreateAttack = components.CreateAttack,
        };
        await LocalTraining.RunAsync(warm, null, cancellation).ConfigureAwait(false);
        PlainLoop.Run(warm, 5);

        double bestActor = 0, bestPlain = 0, bestWatched = 0;
        float[]? actorParams = null, plainParams = null;
        for (var r = 0; r < Math.Max(1, repeat); r++)
        {
            var (p, seconds) = PlainLoop.Run(components, rounds);
            bestPlain = Math.Max(bestPlain, rounds / seconds);
            plainParams = p;
            var result = await LocalTraining.RunAsync(components, null, cancellation).ConfigureAwait(false);
            bestActor = Math.Max(bestActor, result.RoundsPerSecond);
            actorParams = result.FinalParameters;
            if (withDashboard)
            {
                // The same run while the dashboard serves a page that stays open (an SSE client reading every event).
                var state = new AkkaByz.Dashboard.DashboardState("train");
                using var feed = AkkaByz.Runtime.Metrics.RunFeed.Subscribe(state);
                await using var server = await AkkaByz.Dashboard.DashboardServer.StartAsync(state, "127.0.0.1", 0, null, cancellation).ConfigureAwait(false);
                using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
                using var stop = new CancellationTokenSource();
                var events = 0L;
                var page = Task.Run(async () =>
                {
                    try
                    {
                        await using var stream = await http.GetStreamAsync(server.Url + "events", stop.Token).ConfigureAwait(false);
                        using var reader = new StreamReader(stream);
                        while (await reader.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
                            if (line.StartsWith("event:", StringComparison.Ordinal)) events++;
                    }
                    catch (OperationCanceledException) { }
                    catch (IOException) { }
                    catch (HttpRequestException) { }
                });
                var watched = await LocalTraining.RunAsync(components, null, cancellation).ConfigureAwait(false);
                bestWatched = Math.Max(bestWatched, watched.RoundsPerSecond);
                await stop.CancelAsync().ConfigureAwait(false);
                await page.ConfigureAwait(false);
                if (events == 0) throw new InvalidOperationException("bench runtime --dashboard: the page received no event");
            }
        }
        var identical = actorParams!.AsSpan().SequenceEqual(plainParams);
        var overhead = 100 * (bestPlain / bestActor - 1);
        static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
        var row = $"| {settings.Model} | {components.Dimension} | {rounds} | {F(bestActor, "0.0")} | {F(bestPlain, "0.0")} | {F(overhead, "+0.0;-0.0")} % | {(identical ? "yes" : "NO")} |";
        // Cost = how much of the actor runtime's rounds/s the dashboard takes (negative: within the noise, faster).
        return withDashboard ? row + $" {F(bestWatched, "0.0")} | {F(100 * (1 - bestWatched / bestActor), "+0.0;-0.0")} % |" : row;
    }
}
