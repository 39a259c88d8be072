namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// A grid run end to end: expand, run the cells (<see cref="ExperimentRunner"/>), then write results.csv,
/// figures/*.png and summary.md from every finished cell of the grid (also those of earlier, resumed sessions).
/// results.csv is also rewritten after each finished cell, so it can be watched during a long grid.
/// </summary>
public static class Experiment
{
    public static async Task<ExperimentOutcome> RunAsync(GridSpec grid, IReadOnlyList<GridCell> cells, ResultsStore store,
        ExperimentOptions options, TextWriter? warnings = null, CancellationToken cancellation = default)
    {
        var gate = new object();
        var onEvent = options.OnEvent;
        options = options with
        {
            OnEvent = e =>
            {
                onEvent?.Invoke(e);
                if (e.Kind != ExperimentEventKind.Finished) return;
                lock (gate)
                {
                    try { store.WriteResultsCsv(grid.Axes, Collect(cells, store)); }
                    catch (IOException) { }
                }
            },
        };
        Directory.CreateDirectory(store.Directory);
        if (grid.SourceFile is { } source && File.Exists(source)) File.Copy(source, Path.Combine(store.Directory, "grid.conf"), overwrite: true);
        var outcome = await ExperimentRunner.RunAsync(cells, store, grid.CellCharts, options, cancellation).ConfigureAwait(false);
        WriteReports(grid, cells, store, outcome.Results, warnings);
        return outcome;
    }

    /// <summary>Stored results of the grid's cells, in grid order.</summary>
    public static IReadOnlyList<CellResult> Collect(IReadOnlyList<GridCell> cells, ResultsStore store) =>
        cells.Select(store.TryLoad).OfType<CellResult>().ToList();

    /// <summary>results.csv, figures and summary.md from the given results.</summary>
    public static void WriteReports(GridSpec grid, IReadOnlyList<GridCell> cells, ResultsStore store, IReadOnlyList<CellResult> results, TextWriter? warnings = null)
    {
        store.WriteResultsCsv(grid.Axes, results);
        var figures = results.Count == 0 ? [] : ExperimentFigures.WriteAll(store.FiguresDirectory, results, warnings);
        ResultsStore.WriteAtomically(store.SummaryMarkdown,
            ExperimentReport.Markdown(grid, cells, results, figures.Select(f => "figures/" + f).ToList()));
    }
}
