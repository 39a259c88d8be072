using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// Expands a <see cref="GridSpec"/> into its cells: the Cartesian product of the axes (the first axis varying
/// slowest), then each <c>extra</c> sub-grid (the main axes with some replaced), duplicates (same id) dropped. Every
/// cell's settings are validated, and its aggregator and attack names resolved, before anything runs.
/// </summary>
public static class GridExpansion
{
    /// <exception cref="SettingsException">A cell's settings are invalid; the message names the cell and the key.</exception>
    public static IReadOnlyList<GridCell> Expand(GridSpec grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var cells = new List<GridCell>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var axes in new[] { grid.Axes }.Concat(grid.Extras.Select(e => Merge(grid.Axes, e))))
            foreach (var values in Product(axes))
            {
                var id = GridCell.IdOf(values);
                if (!seen.Add(id)) continue;
                cells.Add(Build(grid, axes, values, id));
            }
        return cells;
    }

    /// <summary>Number of cells without building them (duplicates between sub-grids included).</summary>
    public static long CountUpperBound(GridSpec grid) =>
        new[] { grid.Axes }.Concat(grid.Extras.Select(e => Merge(grid.Axes, e)))
            .Sum(axes => axes.Aggregate(1L, (n, a) => n * a.Values.Count));

    private static IReadOnlyList<GridAxis> Merge(IReadOnlyList<GridAxis> main, IReadOnlyList<GridAxis> extra) =>
        [.. main.Select(a => extra.FirstOrDefault(e => e.Name == a.Name) ?? a), .. extra.Where(e => main.All(a => a.Name != e.Name))];

    private static IEnumerable<IReadOnlyList<KeyValuePair<string, string>>> Product(IReadOnlyList<GridAxis> axes)
    {
        var index = new int[axes.Count];
        while (true)
        {
            yield return axes.Select((a, i) => new KeyValuePair<string, string>(a.Name, a.Values[index[i]])).ToList();
            var k = axes.Count - 1;
            while (k >= 0 && ++index[k] == axes[k].Values.Count) index[k--] = 0;
            if (k < 0) yield break;
        }
    }

    private static GridCell Build(GridSpec grid, IReadOnlyList<GridAxis> axes, IReadOnlyList<KeyValuePair<string, string>> values, string id)
    {
        var describe = string.Join(", ", values.Select(v => $"{v.Key} = {v.Value}"));
        try
        {
            // The grid file's run with the cell's values as overrides: read as `akkabyz train --config FILE --FLAG VALUE` reads it.
            var overrides = axes.Select((a, i) => new KeyValuePair<string, string>(a.Key, AkkaByzConfig.Quote(values[i].Value)));
            var settings = grid.Run.With(overrides).Settings();
            // Resolve names now: a typo in an aggregator or attack fails the whole grid before the first run.
            AggregatorCatalog.Factory(settings.Aggregator, settings.Workers, settings.Byzantine, settings.Seed);
            AttackCatalog.Factory(settings.Attack);
            return new GridCell(id, values, settings, GridCell.FingerprintOf(settings));
        }
        catch (SettingsException e)
        {
            throw new SettingsException($"grid cell ({describe}): {e.Message}", e);
        }
    }
}
