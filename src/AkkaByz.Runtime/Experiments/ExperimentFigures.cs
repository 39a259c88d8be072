using System.Globalization;
using ScottPlot;

namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// PNG figures of a grid (ScottPlot, like the run's chart.png): accuracy curves per attack (a line per aggregator, one
/// panel per optimizer; the accuracy axis fitted to the data, final values written at the lines' ends), a heat map of
/// aggregator × attack final accuracy per optimizer (labelled axes, a colour bar), and final accuracy against
/// the learning rate (µ²-SGD solid, momentum dashed, a line per attack) for each aggregator run at several rates.
/// Seeds are averaged; combinations are compared at the learning rate they were all run at (<see cref="ExperimentAnalysis.CommonLr"/>).
/// </summary>
public static class ExperimentFigures
{
    private const int Width = 1100;
    private const int PanelHeight = 420;

    /// <summary>Writes the figures into <paramref name="directory"/>; returns their file names (rendering failures are warned about and skipped).</summary>
    public static IReadOnlyList<string> WriteAll(string directory, IReadOnlyList<CellResult> results, TextWriter? warnings = null)
    {
        Directory.CreateDirectory(directory);
        var a = new ExperimentAnalysis(results);
        var written = new List<string>();
        void Try(string name, Func<string, bool> write)
        {
            var path = Path.Combine(directory, name);
            try
            {
                if (write(path)) written.Add(name);
            }
            catch (Exception e)
            {
                (warnings ?? Console.Error).WriteLine($"warning: {name} not written: {e.Message}");
            }
        }
        foreach (var attack in a.Attacks) Try($"curves-{Slug(attack)}.png", p => Curves(p, a, attack));
        foreach (var opt in a.Optimizers) Try($"heatmap-{Slug(opt)}.png", p => Heatmap(p, a, opt));
        foreach (var agg in a.Aggregators.Where(g => a.Settings.Where(s => s.Aggregator == g).Select(s => s.LearningRate).Distinct().Count() > 1))
            Try($"lr-{Slug(agg)}.png", p => LearningRates(p, a, agg));
        return written;
    }

    public static string Slug(string s) =>
        new string(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' ? c : '-').ToArray()).Trim('-').Replace("--", "-", StringComparison.Ordinal);

    private static Color ColorOf(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    /// <summary>One panel per optimizer: test accuracy against round, a line per aggregator (mean over seeds, best lr).</summary>
    public static bool Curves(string path, ExperimentAnalysis a, string attack)
    {
        var panels = new List<byte[]>();
        foreach (var opt in a.Optimizers)
        {
            using var plot = new Plot();
            var i = 0;
            var values = new List<double>();
            double xMax = 1;
            foreach (var agg in a.Aggregators)
            {
                var color = ColorOf(i);
                var pattern = i++ >= 10 ? LinePattern.Dashed : LinePattern.Solid;
                if (a.Compared(attack, agg, opt) is not { } s) continue;
                var curve = s.MeanCurve();
                if (curve.Count == 0) continue;
                var line = plot.Add.Scatter(curve.Select(p => (double)p.Round).ToArray(), curve.Select(p => 100 * p.Accuracy).ToArray());
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{agg} (lr {s.LearningRate:G3})");
                line.Color = color;
                line.LinePattern = pattern;
                line.LineWidth = 2;
                line.MarkerSize = 3;
                var ys = curve.Select(p => 100 * p.Accuracy).ToArray();
                values.AddRange(ys);
                xMax = Math.Max(xMax, curve[^1].Round);
                Metrics.TrainingChart.Annotate(plot, curve[^1].Round, ys[^1], ys[^1].ToString("0.0", CultureInfo.InvariantCulture) + "%", color);
            }
            plot.Title($"attack {attack}, optimizer {opt}", size: 14);
            plot.XLabel("round");
            plot.YLabel("test accuracy (%)");
            var (lo, hi) = Metrics.TrainingChart.Fitted(values, 0, 100);
            plot.Axes.SetLimitsY(lo, hi);
            plot.Axes.SetLimitsX(0, xMax);
            plot.ShowLegend(Edge.Right);
            panels.Add(plot.GetImageBytes(Width, PanelHeight, ImageFormat.Png));
        }
        return Stack(path, panels, Width, PanelHeight);
    }

    /// <summary>Aggregators (rows) × attacks (columns), colour = final accuracy (mean over seeds, best lr), value printed.</summary>
    public static bool Heatmap(string path, ExperimentAnalysis a, string optimizer)
    {
        using var plot = new Plot();
        var rows = a.Aggregators;
        var cols = a.Attacks;
        var grid = new double[rows.Count, cols.Count]; // row 0 (the first aggregator) drawn on top
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < cols.Count; c++)
                grid[r, c] = 100 * (a.Compared(cols[c], rows[r], optimizer)?.Final.Mean ?? double.NaN);
        var heat = plot.Add.Heatmap(grid);
        heat.Colormap = new AccuracyColormap();
        heat.ManualRange = new ScottPlot.Range(0, 100);
        heat.NaNCellColor = Colors.LightGray;
        heat.Extent = new CoordinateRect(0, cols.Count, 0, rows.Count);
        var bar = plot.Add.ColorBar(heat);
        bar.Label = "final test accuracy (%)";
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < cols.Count; c++)
            {
                var y = rows.Count - 1 - r;
                var value = grid[r, c] / 100;
                var text = plot.Add.Text(double.IsNaN(value) ? "–" : (100 * value).ToString("0.0", CultureInfo.InvariantCulture), c + 0.5, y + 0.5);
                text.LabelFontSize = 13;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = value is > 0.25 and < 0.75 ? Colors.Black : Colors.White;
            }
        plot.Axes.Bottom.SetTicks(cols.Select((_, i) => i + 0.5).ToArray(), cols.ToArray());
        plot.Axes.Left.SetTicks(rows.Select((_, i) => rows.Count - 1 - i + 0.5).ToArray(), rows.ToArray());
        plot.Axes.SetLimits(0, cols.Count, 0, rows.Count);
        plot.Title($"final test accuracy (%), optimizer {optimizer}, {a.ComparedAt}", size: 14);
        plot.XLabel("attack");
        plot.YLabel("aggregator");
        plot.Grid.IsVisible = false;
        var height = Math.Max(320, 90 + 34 * rows.Count);
        var width = Math.Max(620, 380 + 110 * cols.Count);
        File.WriteAllBytes(path, plot.GetImageBytes(width, height, ImageFormat.Png));
        return true;
    }

    /// <summary>Final accuracy (mean over seeds) against log10(lr): a colour per attack, µ²-SGD solid, others dashed.</summary>
    public static bool LearningRates(string path, ExperimentAnalysis a, string aggregator)
    {
        using var plot = new Plot();
        var lrs = a.LearningRates;
        for (var ai = 0; ai < a.Attacks.Count; ai++)
            foreach (var opt in a.Optimizers)
            {
                var points = a.ByLr(a.Attacks[ai], aggregator, opt);
                if (points.Count == 0) continue;
                var line = plot.Add.Scatter(points.Select(p => Math.Log10(p.LearningRate)).ToArray(), points.Select(p => 100 * p.Final.Mean).ToArray());
                line.LegendText = $"{opt}, {a.Attacks[ai]}";
                line.Color = ColorOf(ai);
                line.LinePattern = opt == "mu2" ? LinePattern.Solid : LinePattern.Dashed;
                line.LineWidth = 2;
                line.MarkerSize = 7;
                line.MarkerShape = opt == "mu2" ? MarkerShape.FilledCircle : MarkerShape.OpenSquare;
            }
        plot.Axes.Bottom.SetTicks(lrs.Select(Math.Log10).ToArray(), lrs.Select(l => l.ToString("G3", CultureInfo.InvariantCulture)).ToArray());
        plot.Title($"final test accuracy against the learning rate: {aggregator} (µ²-SGD solid, momentum dashed)", size: 14);
        plot.XLabel("learning rate η (log scale)");
        plot.YLabel("final test accuracy (%)");
        var finals = a.Attacks.SelectMany(att => a.Optimizers.SelectMany(o => a.ByLr(att, aggregator, o))).Select(p => 100 * p.Final.Mean).ToArray();
        var (lo, hi) = Metrics.TrainingChart.Fitted(finals, 0, 100);
        plot.Axes.SetLimitsY(lo, hi);
        plot.ShowLegend(Alignment.LowerLeft);
        File.WriteAllBytes(path, plot.GetImageBytes(Width, PanelHeight + 80, ImageFormat.Png));
        return true;
    }

    /// <summary><see cref="Heat"/> as a colormap (for the heat map's colour bar).</summary>
    private sealed class AccuracyColormap : IColormap
    {
        public string Name => "accuracy red-yellow-green";

        public Color GetColor(double normalizedIntensity) => Heat(normalizedIntensity);
    }

    /// <summary>Red (0 %) through yellow (50 %) to green (100 %).</summary>
    private static Color Heat(double accuracy)
    {
        var v = Math.Clamp(accuracy, 0, 1);
        byte r, g;
        if (v < 0.5) { r = 215; g = (byte)(48 + (v / 0.5) * (200 - 48)); }
        else { r = (byte)(215 - (v - 0.5) / 0.5 * (215 - 26)); g = (byte)(200 - (v - 0.5) / 0.5 * (200 - 150)); }
        return new Color(r, g, 60);
    }

    private static bool Stack(string path, IReadOnlyList<byte[]> panels, int width, int height)
    {
        if (panels.Count == 0) return false;
        Metrics.ChartImages.Stack(path, panels, width, height);
        return true;
    }
}
