using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Display;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Experiments;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz experiment GRID.conf [--out DIR] [--parallel N] [--resume] [--dry-run]</c>: runs a grid of local
/// training runs (base settings × attacks × aggregators × optimizers × learning rates × seeds × any other axis),
/// several at once, resumable, with progress and an ETA; writes results.csv, summary.md and figures/*.png.
/// </summary>
public static class ExperimentCommand
{
    public static Command Create()
    {
        var grid = new Argument<FileInfo>("grid") { Description = "Grid file (HOCON): an akkabyz { } base and an experiment { axes { ... } } section; see hocon/experiments/." };
        var outDir = new Option<string>("--out") { Description = "Output folder (default runs/experiments/<grid name>)." };
        var parallel = new Option<int>("--parallel", "-j") { Description = "Cells run at once (default: cores / experiment.threads-per-cell, at least 1)." };
        var resume = new Option<bool>("--resume") { Description = "Continue in a folder that holds results: finished cells (same settings) are skipped." };
        var rerunStopped = new Option<bool>("--rerun-stopped") { Description = "With --resume: also rerun the cells whose run stopped early (e.g. a barrier that lost its quorum under load)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the cells (and which are already finished) without running anything." };
        var reportOnly = new Option<bool>("--report-only") { Description = "Rewrite results.csv, summary.md and figures from the finished cells without running any." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only failures and the final summary." };

        var command = new Command("experiment", "Run a grid of local training runs (attacks × aggregators × optimizers × learning rates × seeds) and write results.csv, summary.md and figures.");
        command.Arguments.Add(grid);
        var plugins = CatalogHelp.PluginOption();
        var logLevel = new Option<string>("--log-level") { Description = "Log level of the cells' actor systems, Akka's log included: trace | debug | info | warning | error (default) | off." };
        logLevel.AcceptOnlyFromAmong([.. Runtime.Cluster.NodeLoggerFactory.Levels]);
        var rawLog = new Option<bool>("--raw-log") { Description = "Akka's own log lines ([ERROR][date][Thread][path] ...) on stdout instead of one readable line per event on stderr." };
        foreach (var o in new Option[] { outDir, parallel, resume, rerunStopped, dryRun, reportOnly, quiet, logLevel, rawLog, plugins }) command.Options.Add(o);
        var watch = new WatchOptions(command);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            (GridSpec Grid, IReadOnlyList<GridCell> Cells, ResultsStore Store)? interrupted = null;
            try
            {
                Runtime.Composition.PluginLoader.Load(parse.GetValue(plugins) ?? []);
                var spec = GridSpec.Load(parse.GetValue(grid)!.FullName);
                var cells = GridExpansion.Expand(spec);
                var store = new ResultsStore(parse.GetValue(outDir) is { Length: > 0 } o ? o : Path.Combine("runs", "experiments", spec.Name));
                if (File.Exists(store.Directory))
                    throw new SettingsException($"--out: '{store.Directory}' is a file, not a folder; choose a new folder (or an experiment's folder with --resume).");
                var requested = parse.GetValue(parallel);
                if (parse.GetResult(parallel) is { Implicit: false } && requested < 1)
                    throw new SettingsException($"--parallel: must be at least 1, got {requested}.");
                var n = requested >= 1 ? requested : ExperimentOptions.DefaultParallel(spec.ThreadsPerCell);

                if (parse.GetValue(dryRun))
                {
                    var finished = 0;
                    output.WriteLine($"akkabyz experiment {spec.Name}: {cells.Count} cells, output {store.Directory}, {n} at once");
                    foreach (var c in cells)
                    {
                        var done = store.TryLoad(c) is not null;
                        if (done) finished++;
                        output.WriteLine($"  {(done ? "done" : "todo")}  {c.Id}  ({string.Join(", ", c.Values.Select(v => $"{v.Key}={v.Value}"))})");
                    }
                    output.WriteLine($"{finished} finished, {cells.Count - finished} to run.");
                    return 0;
                }
                if (parse.GetValue(reportOnly))
                {
                    var results = Experiment.Collect(cells, store);
                    Experiment.WriteReports(spec, cells, store, results, error);
                    output.WriteLine($"{results.Count} of {cells.Count} cells finished; wrote {store.ResultsCsv}, {store.SummaryMarkdown}, {store.FiguresDirectory}/");
                    return 0;
                }

                var beQuiet = parse.GetValue(quiet);
                interrupted = (spec, cells, store);
                var gate = new object();
                output.WriteLine($"akkabyz experiment {spec.Name}: {cells.Count} cells, {n} at once, output {store.Directory}");
                await using var watching = await watch.StartAsync(parse, "experiment", output, error, cancellation).ConfigureAwait(false);
                watching.State?.ExperimentStarted(spec.Name, cells);
                var outcome = await Experiment.RunAsync(spec, cells, store, new ExperimentOptions
                {
                    Parallel = n,
                    Resume = parse.GetValue(resume),
                    RerunStopped = parse.GetValue(rerunStopped),
                    LogLevel = Runtime.Cluster.NodeLoggerFactory.AkkaLevel(Runtime.Cluster.NodeLoggerFactory.Parse(parse.GetValue(logLevel) ?? "error")),
                    Logging = parse.GetValue(rawLog) ? null : new ConsoleLogger(error, Runtime.Cluster.NodeLoggerFactory.Parse(parse.GetValue(logLevel) ?? "error")),
                    OnEvent = e =>
                    {
                        watching.State?.ExperimentEvent(e);
                        lock (gate)
                        {
                            switch (e.Kind)
                            {
                                case ExperimentEventKind.Failed:
                                    error.WriteLine($"[{e.Done}/{e.Total}] FAILED {e.Cell.Id}: {e.Error?.ReplaceLineEndings(" ")}");
                                    break;
                                case ExperimentEventKind.Finished when !beQuiet:
                                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                        $"[{e.Done}/{e.Total}] {e.Cell.Id}: final {100 * e.Result!.FinalAccuracy:F1}%, best {100 * e.Result.BestAccuracy:F1}%, {e.Result.WallSeconds:F1} s" +
                                        $"{(e.Result.Completed ? "" : " (stopped early)")} | elapsed {EtaEstimator.Format(e.Elapsed)}, ETA {EtaEstimator.Format(e.Eta)}"));
                                    break;
                            }
                        }
                    },
                }, error, cancellation).ConfigureAwait(false);
                output.WriteLine($"done: {outcome.Ran} cells run, {outcome.Skipped} already finished, {outcome.Failures.Count} failed, in {EtaEstimator.Format(outcome.Elapsed)}.");
                output.WriteLine($"outputs: {store.ResultsCsv}, {store.SummaryMarkdown}, {store.FiguresDirectory}/");
                if (watching.Server is { } server && !cancellation.IsCancellationRequested)
                {
                    // The page stays up to be read: the grid is done, the process waits for Ctrl-C.
                    watching.State!.Finished($"finished: {outcome.Ran} cells run, {outcome.Skipped} already finished, {outcome.Failures.Count} failed");
                    output.WriteLine($"dashboard: the experiment is over; still serving {server.Url} until Ctrl-C");
                    try { await Task.Delay(Timeout.Infinite, cancellation).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                }
                return outcome.Failures.Count > 0 ? 3 : 0;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested && interrupted is { } state)
            {
                // Ctrl-C: the finished cells are stored; report on them and say how to continue.
                var results = Experiment.Collect(state.Cells, state.Store);
                Experiment.WriteReports(state.Grid, state.Cells, state.Store, results, error);
                error.WriteLine($"akkabyz experiment: interrupted; {results.Count} of {state.Cells.Count} cells finished. Continue with --resume --out {state.Store.Directory}");
                return 130;
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                error.WriteLine($"akkabyz experiment: {UserErrors.Describe(e)}");
                return 2;
            }
        });
        return command;
    }
}
