using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench runtime</c>: rounds per second of the local actor runtime (17 workers, 8 ALIE, ctma(cwtm),
/// µ²-SGD, batch 4) for the logistic model and the CNN, against the same computation in a plain loop
/// (<see cref="PlainLoop"/>: Parallel.For over the round's gradient calls, no actors). Overhead = plain rate / actor
/// rate − 1. For torch models each repetition also measures the gradient bound in the same process just before and
/// just after its runs (the mean of the two is used): the <c>bench models</c> throughput of one model per core (one torch thread each) divided by the gradients a
/// round needs, and reports the fraction of it each mode reaches. Each run is timed over rounds 2..R−1 (the first round
/// warms up; the last one's metrics row waits for the final evaluation); a per-phase breakdown of the best run of each mode follows the table. Both modes also print whether their
/// final parameters are bit-identical (they must be). <c>--dashboard</c> instead times the local logreg job alone, in
/// one process, three ways per repetition in alternating order: no dashboard; the dashboard server up and subscribed to
/// the run feed, no page open; the same with an open page (a server-sent-events client reading every event). Cost =
/// 1 − best watched rate / best plain rate (best of --repeat each).
/// </summary>
public static class BenchRuntimeCommand
{
    public static Command Create()
    {
        var command = new Command("runtime", "Rounds/s of the actor runtime vs the same computation in a plain loop, against the gradient bound, with a per-phase breakdown.");
        var models = new Option<string>("--models") { Description = "Comma-separated models to time.", DefaultValueFactory = _ => "logreg,cnn-mnist" };
        var logregRounds = new Option<int>("--logreg-rounds") { Description = "Rounds per timed logreg run (long enough that the JIT's later tiers and the thread pool have settled: at 300–1,000 rounds both modes still speed up from run to run).", DefaultValueFactory = _ => 10_000 };
        var cnnRounds = new Option<int>("--cnn-rounds") { Description = "Rounds per timed CNN run.", DefaultValueFactory = _ => 500 };
        var cnnData = new Option<string>("--cnn-data") { Description = "Data for the CNNs (IDX directory spec).", DefaultValueFactory = _ => "fashion-mnist" };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per mode (each with its own bound measurement).", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "Minibatch per worker.", DefaultValueFactory = _ => 4 };
        var attack = new Option<string>("--attack") { Description = "Attack of the 8 Byzantine workers.", DefaultValueFactory = _ => "alie" };
        var boundSteps = new Option<int>("--bound-steps") { Description = "Minimum gradients per core in each bound measurement.", DefaultValueFactory = _ => 200 };
        var split = new Option<bool>("--split-gradients") { Description = "Run a worker's two µ²-SGD gradients as separate tasks (off: one task per worker, the earlier schedule).", DefaultValueFactory = _ => true };
        var warmup = new Option<int>("--warmup-rounds") { Description = "Rounds of the untimed warm-up run of each mode (0 = 5,000 for logreg, 5 for torch models: enough for the JIT's tiered, profile-guided code).", DefaultValueFactory = _ => 0 };
        var akka = new Option<string?>("--akka-config") { Description = "HOCON laid over the actor run's Akka configuration (dispatcher experiments), e.g. 'akka.actor.default-dispatcher.throughput = 100'." };
        var dashboard = new Option<bool>("--dashboard") { Description = "Only the logreg job, timed without and with the live dashboard (server up, no page; server up, an open page), alternating, best of --repeat: its cost in %." };
        var share = new Option<bool>("--share-models") { Description = "The workers rent a model instance per gradient call from one pool (about one per core; off: two instances per worker).", DefaultValueFactory = _ => true };
        foreach (var o in new Option[] { models, logregRounds, cnnRounds, cnnData, repeat, batch, attack, boundSteps, split, share, warmup, akka, dashboard }) command.Options.Add(o);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                var schedule = new ComputeSettings(parse.GetValue(split), parse.GetValue(share));
                output.WriteLine($"bench runtime: 17 workers (8 {parse.GetValue(attack)}), ctma(cwtm), mu2, batch {parse.GetValue(batch)}, {Environment.ProcessorCount} cores; {parse.GetValue(repeat)} repetitions; {RoundProfile.RuntimeSettings()}; gradients split {(parse.GetValue(split) ? "on" : "off")}, shared models {(parse.GetValue(share) ? "on" : "off")}");
                if (parse.GetValue(dashboard))
                {
                    var job = AkkaByzSettings.Default with
                    {
                        Model = "logreg", Attack = parse.GetValue(attack)!, BatchSize = parse.GetValue(batch), EvalInterval = 0, Rounds = parse.GetValue(logregRounds),
                        Data = AkkaByzSettings.Default.Data with { Source = DataSourceSpec.Parse("synthetic") },
                        Compute = schedule,
                    };
                    job.Validate();
                    await MeasureDashboard(job, parse.GetValue(repeat), output, cancellation).ConfigureAwait(false);
                    return 0;
                }
                output.WriteLine("| model | d | rounds | run | actor runtime (rounds/s) | plain loop (rounds/s) | overhead | bound (rounds/s) | actor / bound | plain / bound | identical |");
                output.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
                var breakdowns = new List<string>();
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
                        Compute = schedule,
                    };
                    settings.Validate();
                    if (rounds < 3) throw new ArgumentException("runs need at least 3 rounds (rounds 2..R−1 are timed).");
                    var bench = isLogreg ? null : ModelBenchmarkCase.All.FirstOrDefault(c => c.Name == model);
                    var warmRounds = parse.GetValue(warmup) is > 0 and var w ? w : isLogreg ? 5000 : 5;
                    var akkaConfig = parse.GetValue(akka) is { Length: > 0 } hocon ? Akka.Configuration.ConfigurationFactory.ParseString(hocon) : null;
                    breakdowns.Add(await Measure(settings, rounds, parse.GetValue(repeat), bench, parse.GetValue(boundSteps), warmRounds, akkaConfig, output, cancellation).ConfigureAwait(false));
                }
                foreach (var b in breakdowns) output.Write(b);
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

    private static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    private static async Task<string> Measure(AkkaByzSettings settings, int rounds, int repeat, ModelBenchmarkCase? bench, int boundSteps,
        int warmRounds, Akka.Configuration.Config? akkaConfig, TextWriter output, CancellationToken cancellation)
    {
        var components = RunComposer.Compose(settings);
        var warm = new RunComponents
        {
            Settings = settings with { Rounds = warmRounds },
            Train = components.Train, Test = components.Test, Shards = components.Shards, InitialParameters = components.InitialParameters,
            CreateModel = components.CreateModel, CreateWorkerOptimizer = components.CreateWorkerOptimizer,
            CreateServerOptimizer = components.CreateServerOptimizer, CreateAggregator = components.CreateAggregator, CreateAttack = components.CreateAttack,
        };
        await LocalTraining.RunAsync(warm, new LocalTrainingOptions { AkkaConfig = akkaConfig }, cancellation).ConfigureAwait(false);
        PlainLoop.Run(warm, warmRounds);

        RoundProfile? bestActor = null, bestPlain = null;
        var actorFractions = new List<double>();
        var plainFractions = new List<double>();
        var identicalAll = true;
        var actorRates = new List<double>();
        var plainRates = new List<double>();
        var ratios = new List<double>();
        var actorCpu = new List<double>();
        var plainCpu = new List<double>();
        TrainingResult? result = null;
        // The bound is measured before, between and after each repetition's two timed runs (the last measurement of one
        // repetition is the first of the next), and each run is held against the mean of the two measurements around
        // it, so a drift of the machine's speed (seen at ±15 % within a minute) moves the bound with the run it judges.
        ModelBenchmarkRow? MeasureBound() =>
            bench is null ? null : ModelBenchmark.Measure(bench, settings.BatchSize, Environment.ProcessorCount, 1, boundSteps);
        MeasureBound(); // untimed: the process's first measurement runs slow (seen 25-30 % below the next ones)
        var boundEdge = MeasureBound();
        for (var r = 0; r < Math.Max(1, repeat); r++)
        {
            RoundProfile.Probe? probe = null;
            long windowStart = 0;
            RoundProfile? plain = null;
            float[] plainParams = [];
            void RunPlain()
            {
                probe = null;
                (plainParams, _) = PlainLoop.Run(components, rounds, round =>
                {
                    if (round == 1) { probe = RoundProfile.Begin(); windowStart = Stopwatch.GetTimestamp(); }
                    else if (round == rounds - 1) plain = probe!.End(rounds - 2, Stopwatch.GetElapsedTime(windowStart).TotalSeconds);
                });
            }

            double aggregationMs = 0;
            RoundProfile? actor = null;
            var options = new LocalTrainingOptions
            {
                AkkaConfig = akkaConfig,
                OnRow = row =>
                {
                    if (row.Round == 1) { probe = RoundProfile.Begin(); windowStart = Stopwatch.GetTimestamp(); }
                    else if (row.Round > 1 && probe is not null)
                    {
                        aggregationMs += row.AggregationMs;
                        if (row.Round == rounds - 1) actor = probe.End(rounds - 2, Stopwatch.GetElapsedTime(windowStart).TotalSeconds, aggregationMs);
                    }
                },
            };
            async Task RunActor() { probe = null; result = await LocalTraining.RunAsync(components, options, cancellation).ConfigureAwait(false); }
            // Alternate which mode runs first, so neither always gets the warmer (or the quieter) slot.
            var actorFirst = r % 2 == 1;
            var before = boundEdge;
            if (actorFirst) await RunActor().ConfigureAwait(false); else RunPlain();
            var between = MeasureBound();
            if (actorFirst) RunPlain(); else await RunActor().ConfigureAwait(false);
            var after = boundEdge = MeasureBound();
            if (plain is null || actor is null) throw new InvalidOperationException("a timed run did not report its rounds.");
            var identical = result!.FinalParameters.AsSpan().SequenceEqual(plainParams);
            identicalAll &= identical;
            if (!identical)
                output.WriteLine($"(run {r + 1}: parameters differ: {result.Run.Reason}; rejected {string.Join(", ", result.Run.Rejected.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}"))}" +
                                 $"; {result.Run.UpdatesAccepted} of {rounds * settings.Workers} updates accepted; a round deadline or the tap's timeout logs a warning above)");

            string bound = "—", af = "—", pf = "—";
            if (before is not null && between is not null && after is not null)
            {
                double Mean(ModelBenchmarkRow a, ModelBenchmarkRow b) => 0.5 * (a.GradientsPerSecond + b.GradientsPerSecond);
                var actorBound = (actorFirst ? Mean(before, between) : Mean(between, after)) / actor.GradientsPerRound;
                var plainBound = (actorFirst ? Mean(between, after) : Mean(before, between)) / plain.GradientsPerRound;
                // The bound's cost of one call, as the actor run's fraction uses it: cores / gradients per second.
                var boundMs = Environment.ProcessorCount * 1000.0 / (actorBound * actor.GradientsPerRound);
                output.WriteLine($"(run {r + 1}: bound {F(before.GradientsPerSecond, "0")} gradients/s before, {F(between.GradientsPerSecond, "0")} between, " +
                                 $"{F(after.GradientsPerSecond, "0")} after the {(actorFirst ? "actor and plain" : "plain and actor")} runs, each run against the mean of the two " +
                                 $"around it ({F(actor.GradientsPerRound, "0.0")} calls a round); " +
                                 $"a gradient call took {F(actor.ModelMs / actor.GradientsPerRound, "0.00")} ms in the actor run, {F(plain.ModelMs / plain.GradientsPerRound, "0.00")} in the plain loop, " +
                                 $"{F(boundMs, "0.00")} in the actor run's bound; gradients filled {F(100 * actor.ModelMs / (Environment.ProcessorCount * actor.WallMs), "0")} % " +
                                 $"/ {F(100 * plain.ModelMs / (Environment.ProcessorCount * plain.WallMs), "0")} % of the cores)");
                // Around the actor run the two measurements should agree; when they do not, the machine changed speed
                // meanwhile (another process, the host) and that run's fraction says more about the machine than the runtime.
                var (aroundA, aroundB) = actorFirst ? (before, between) : (between, after);
                var moved = Math.Abs(aroundA.GradientsPerSecond - aroundB.GradientsPerSecond) / Math.Min(aroundA.GradientsPerSecond, aroundB.GradientsPerSecond);
                if (moved > 0.2)
                    output.WriteLine($"(run {r + 1}: the bound moved by {F(100 * moved, "0")} % across the actor run: the machine's speed changed meanwhile; read its fraction with care)");
                bound = F(actorBound, "0.0");
                actorFractions.Add(actor.RoundsPerSecond / actorBound);
                plainFractions.Add(plain.RoundsPerSecond / plainBound);
                af = F(100 * actorFractions[^1], "0") + " %";
                pf = F(100 * plainFractions[^1], "0") + " %";
            }
            var overhead = 100 * (plain.RoundsPerSecond / actor.RoundsPerSecond - 1);
            output.WriteLine($"| {settings.Model} | {components.Dimension} | {rounds} | {r + 1} | {F(actor.RoundsPerSecond, "0.0")} | {F(plain.RoundsPerSecond, "0.0")} | {F(overhead, "+0.0;-0.0")} % | {bound} | {af} | {pf} | {(identical ? "yes" : "NO")} |");
            actorRates.Add(actor.RoundsPerSecond);
            plainRates.Add(plain.RoundsPerSecond);
            ratios.Add(plain.RoundsPerSecond / actor.RoundsPerSecond);
            actorCpu.Add(actor.CpuMs);
            plainCpu.Add(plain.CpuMs);
            if (bestActor is null || actor.RoundsPerSecond > bestActor.RoundsPerSecond) bestActor = actor;
            if (bestPlain is null || plain.RoundsPerSecond > bestPlain.RoundsPerSecond) bestPlain = plain;
        }
        static double Median(List<double> v)
        {
            var s = v.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
        }
        var fractions = actorFractions.Count == 0 ? "— | — | —" : $"— | {F(100 * Median(actorFractions), "0")} % | {F(100 * Median(plainFractions), "0")} %";
        output.WriteLine($"| {settings.Model} | {components.Dimension} | {rounds} | median | {F(Median(actorRates), "0.0")} | {F(Median(plainRates), "0.0")} | " +
                         $"{F(100 * (Median(ratios) - 1), "+0.0;-0.0")} % | {fractions} | {(identicalAll ? "yes" : "NO")} |");
        return Breakdown(settings.Model, bestActor!, bestPlain!, identicalAll) +
               $"{settings.Model}: median process CPU per round over the {Math.Max(1, repeat)} runs: actor runtime {F(Median(actorCpu), "0.00")} core-ms, plain loop {F(Median(plainCpu), "0.00")} core-ms" +
               Environment.NewLine;
    }

    /// <summary>The logreg job without and with the dashboard (no page; an open page), alternating the order per repetition.</summary>
    private static async Task MeasureDashboard(AkkaByzSettings settings, int repeat, TextWriter output, CancellationToken cancellation)
    {
        var components = RunComposer.Compose(settings);
        await LocalTraining.RunAsync(components, null, cancellation).ConfigureAwait(false); // warm-up
        string[] modes = ["off", "server, no page", "server, open page"];
        var best = new double[modes.Length];
        output.WriteLine($"dashboard cost: logreg, {settings.Rounds} rounds per run, modes alternating, best of {Math.Max(1, repeat)}");
        output.WriteLine("| repetition | " + string.Join(" | ", modes) + " (rounds/s) |");
        output.WriteLine("|---|---|---|---|");
        for (var r = 0; r < Math.Max(1, repeat); r++)
        {
            var rates = new double[modes.Length];
            for (var k = 0; k < modes.Length; k++)
            {
                var mode = r % 2 == 0 ? k : modes.Length - 1 - k;
                rates[mode] = await TimeDashboardMode(components, mode, cancellation).ConfigureAwait(false);
                best[mode] = Math.Max(best[mode], rates[mode]);
            }
            output.WriteLine($"| {r + 1} | " + string.Join(" | ", rates.Select(v => F(v, "0.0"))) + " |");
        }
        output.WriteLine($"| best | " + string.Join(" | ", best.Select(v => F(v, "0.0"))) + " |");
        // The dashboard's own work, timed alone (steadier than rates on a shared machine): a row, and a page's JSON.
        var probe = new AkkaByz.Dashboard.DashboardState("train");
        probe.RunStarted(AkkaByz.Runtime.Metrics.RunDescription.From(settings, 200_000));
        var rowsTimed = 200_000;
        var sample = Enumerable.Range(0, 64).Select(i => new AkkaByz.Runtime.Metrics.MetricsRow(0, 0.5, double.NaN, double.NaN, 17, 0, 8, 0.1, 1.0, 0)
            { SuspectWorkers = Enumerable.Range(i % 9, 8).ToArray() }).ToArray();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= rowsTimed; i++) probe.Row(sample[i & 63] with { Round = i, ElapsedSeconds = i * 1e-3 });
        var rowUs = clock.Elapsed.TotalMicroseconds / rowsTimed;
        var rowBytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)rowsTimed;
        clock.Restart();
        var (json, _, seq) = probe.Snapshot();
        var snapshotMs = clock.Elapsed.TotalMilliseconds;
        for (var i = 0; i < 250; i++) probe.Row(sample[i & 63] with { Round = rowsTimed + i + 1, ElapsedSeconds = (rowsTimed + i) * 1e-3 });
        clock.Restart();
        var (delta, _, _) = probe.Delta(seq);
        var deltaMs = clock.Elapsed.TotalMilliseconds;
        output.WriteLine($"dashboard work alone: {F(rowUs, "0.00")} µs and {F(rowBytes, "0")} B per row (DashboardState.Row, {rowsTimed} rows incl. building each row); " +
                         $"snapshot of {F(json.Length / 1024.0, "0")} KiB {F(snapshotMs, "0.0")} ms; a 250-row delta {F(deltaMs, "0.00")} ms (at most 4 per second per page)");
        output.WriteLine($"dashboard cost (1 − best with / best off): server, no page {F(100 * (1 - best[1] / best[0]), "+0.0;-0.0")} %; " +
                         $"server, open page {F(100 * (1 - best[2] / best[0]), "+0.0;-0.0")} %");
    }

    /// <summary>One run: 0 = no dashboard, 1 = server and feed subscribed, 2 = the same with an SSE client reading every event.</summary>
    private static async Task<double> TimeDashboardMode(RunComponents components, int mode, CancellationToken cancellation)
    {
        if (mode == 0) return (await LocalTraining.RunAsync(components, null, cancellation).ConfigureAwait(false)).RoundsPerSecond;
        var state = new AkkaByz.Dashboard.DashboardState("train");
        using var feed = AkkaByz.Runtime.Metrics.RunFeed.Subscribe(state);
        await using var server = await AkkaByz.Dashboard.DashboardServer.StartAsync(state, "127.0.0.1", 0, null, cancellation).ConfigureAwait(false);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var events = 0L;
        using var connected = new SemaphoreSlim(0, 1);
        var page = mode < 2 ? Task.CompletedTask : Task.Run(async () =>
        {
            try
            {
                await using var stream = await http.GetStreamAsync(server.Url + "events", stop.Token).ConfigureAwait(false);
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
                    if (line.StartsWith("event:", StringComparison.Ordinal) && Interlocked.Increment(ref events) == 1) connected.Release();
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
            catch (HttpRequestException) { }
        });
        if (mode == 2 && !await connected.WaitAsync(TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false))
            throw new InvalidOperationException("bench runtime --dashboard: the page did not connect");
        var result = await LocalTraining.RunAsync(components, null, cancellation).ConfigureAwait(false);
        await AkkaByz.Runtime.Metrics.RunFeed.DrainAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await Task.Delay(2 * AkkaByz.Dashboard.DashboardServer.MinInterval, cancellation).ConfigureAwait(false); // the last delta
        await stop.CancelAsync().ConfigureAwait(false);
        await page.ConfigureAwait(false);
        if (mode == 2 && Interlocked.Read(ref events) < 2) throw new InvalidOperationException("bench runtime --dashboard: the page received no delta");
        return result.RoundsPerSecond;
    }

    private static string Breakdown(string model, RoundProfile actor, RoundProfile plain, bool identical)
    {
        var w = new StringWriter();
        w.WriteLine();
        w.WriteLine($"{model}: per round, core-milliseconds (best run of each mode; {Environment.ProcessorCount} cores × wall = the total){(identical ? "" : "; PARAMETERS DIFFER")}");
        w.WriteLine("| phase | actor runtime | plain loop |");
        w.WriteLine("|---|---:|---:|");
        void Row(string name, Func<RoundProfile, double> f, string format = "0.00") => w.WriteLine($"| {name} | {F(f(actor), format)} | {F(f(plain), format)} |");
        Row("gradient calls per round", p => p.GradientsPerRound, "0.0");
        Row("parameter copy-in", p => p.CopyInMs);
        Row("batch assembly (input tensors)", p => p.InputMs);
        Row("forward + loss", p => p.ForwardMs);
        Row("backward", p => p.BackwardMs);
        Row("gradient copy-out + scope free", p => p.CopyOutMs);
        Row("gradient call outside the model", p => p.GradientWrapperMs);
        Row("minibatch sampling", p => p.SampleMs);
        Row("optimizer (clipping, µ² combine, copies)", p => p.OptimizerMs);
        w.WriteLine($"| attack crafting (tap / Byzantine) | not timed (in the tap) | {F(plain.CraftMs, "0.00")} |");
        Row("aggregation + server step", p => p.AggregateMs);
        Row("process CPU, all threads", p => p.CpuMs);
        Row("other CPU (messages, scheduling, runtime, GC threads)", p => p.OtherCpuMs);
        Row("idle core time (barrier waits, other processes)", p => p.IdleMs);
        Row("GC pauses (wall ms per round)", p => p.GcPauseMs);
        w.WriteLine($"| GC collections gen0/gen1/gen2 (whole window) | {actor.Gen0}/{actor.Gen1}/{actor.Gen2} | {plain.Gen0}/{plain.Gen1}/{plain.Gen2} |");
        Row("managed allocation per round (KiB, whole process)", p => p.AllocatedKiB, "0.0");
        Row("wall per round (ms)", p => p.WallMs);
        return w.ToString();
    }
}
