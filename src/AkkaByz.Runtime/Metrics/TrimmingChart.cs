using System.Globalization;
using AkkaByz.Runtime.Configuration;
using ScottPlot;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// trimming.png: who the aggregation rule discarded, worker (rows) × round (columns; at most <see cref="MaxColumns"/>,
/// each the share of its rounds in which the worker was discarded), with a colour bar; the workers that ran the
/// attack in this simulation are labelled "(B)" and the title gives the precision and recall of the rule's
/// discards as a detector of them. Drawn from the rows kept in memory (<see cref="MetricsSeries"/>).
/// </summary>
public static class TrimmingChart
{
    public const int MaxColumns = 400;

    public static bool Write(string path, IReadOnlyList<MetricsRow> rows, AkkaByzSettings settings)
    {
        var rounds = rows.Where(r => r.Round > 0 && !double.IsNaN(r.RoundMs)).OrderBy(r => r.Round).ToArray();
        var m = settings.Workers;
        if (rounds.Length == 0 || m == 0) return false;
        var cols = Math.Min(MaxColumns, rounds.Length);
        var share = new double[m, cols];
        var perColumn = new int[cols];
        long truePositives = 0, flagged = 0;
        var byzantine = settings.IsNoAttack ? [] : Enumerable.Range(0, m).Where(settings.IsByzantine).ToHashSet();
        for (var i = 0; i < rounds.Length; i++)
        {
            var c = (int)((long)i * cols / rounds.Length);
            perColumn[c]++;
            foreach (var w in rounds[i].SuspectWorkers)
            {
                if (w >= m) continue;
                share[w, c]++;
                flagged++;
                if (byzantine.Contains(w)) truePositives++;
            }
        }
        for (var w = 0; w < m; w++)
            for (var c = 0; c < cols; c++)
                share[w, c] = perColumn[c] > 0 ? share[w, c] / perColumn[c] : double.NaN;

        using var plot = new Plot();
        var heat = plot.Add.Heatmap(share);
        heat.Colormap = new WhiteToBlue();
        heat.ManualRange = new ScottPlot.Range(0, 1);
        double first = rounds[0].Round, last = rounds[^1].Round;
        heat.Extent = new CoordinateRect(first - 0.5, last + 0.5, -0.5, m - 0.5);
        heat.FlipVertically = false;
        var bar = plot.Add.ColorBar(heat);
        bar.Label = "share of the column's rounds discarded";
        var ticks = Enumerable.Range(0, m).ToArray();
        // Worker 0 on top: row w of the matrix is drawn at y = m − 1 − w.
        plot.Axes.Left.SetTicks(ticks.Select(w => (double)(m - 1 - w)).ToArray(),
            ticks.Select(w => byzantine.Contains(w) ? $"w{w} (B)" : $"w{w}").ToArray());
        plot.Axes.SetLimits(first - 0.5, last + 0.5, -0.5, m - 0.5);
        plot.XLabel("round");
        plot.YLabel("worker ((B) = Byzantine in this simulation)");
        var detection = byzantine.Count == 0 ? "no Byzantine worker" :
            string.Create(CultureInfo.InvariantCulture,
                $"detection: precision {(flagged > 0 ? 100.0 * truePositives / flagged : 0):0.0}%, recall {100.0 * truePositives / ((long)byzantine.Count * rounds.Length):0.0}%");
        plot.Title($"who {settings.Aggregator} discarded, attack {settings.Attack} ({detection})", size: 13);
        plot.Grid.IsVisible = false;
        var height = Math.Clamp(120 + 22 * m, 300, 1200);
        File.WriteAllBytes(path, plot.GetImageBytes(1000, height, ImageFormat.Png));
        return true;
    }

    /// <summary>0 = white (never discarded) to 1 = dark blue (discarded in every round of the column).</summary>
    private sealed class WhiteToBlue : IColormap
    {
        private static readonly IColormap Blues = new ScottPlot.Colormaps.Blues();

        public string Name => "white to blue";

        // Blues runs dark (0) to light (1): read it backwards.
        public Color GetColor(double normalizedIntensity) =>
            double.IsNaN(normalizedIntensity) ? Colors.LightGray : Blues.GetColor(1 - Math.Clamp(normalizedIntensity, 0, 1));
    }
}
