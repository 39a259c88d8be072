using System.Globalization;
using AkkaByz.Runtime.Configuration;
using ScottPlot;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// chart.png (ScottPlot): test accuracy on top, with its axis fitted to the data; below it the train loss (the median
/// reported per round, smoothed by a centred moving average, with the raw values' running min–max as a faint band)
/// beside the test loss; both panels share one x axis (same limits, same fixed margins, so rounds line up) and the
/// final values are written at the end of their lines. trimming.png beside it: the worker × round heat map of who the rule
/// discarded (<see cref="TrimmingChart"/>).
/// </summary>
public static class TrainingChart
{
    private const int Width = 1000, Height = 340;
    private static readonly PixelPadding Margins = new(left: 80, right: 30, bottom: 50, top: 36);

    /// <summary>Writes chart.png at <paramref name="path"/> and trimming.png beside it; returns false (and leaves no file) when rendering is impossible here, e.g. no native Skia.</summary>
    public static bool Write(string path, IReadOnlyList<MetricsRow> rows, AkkaByzSettings settings)
    {
        try
        {
            var evaluated = rows.Where(r => r.Evaluated).OrderBy(r => r.Round).ToArray();
            var trained = rows.Where(r => double.IsFinite(r.TrainLoss)).OrderBy(r => r.Round).ToArray();
            var title = $"{settings.Model} on {settings.Data.Source}: m={settings.Workers}, f={settings.Byzantine}, attack={settings.Attack}, {settings.Aggregator}, {settings.Optimizer.Name}";
            var xMax = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Round));

            using var accuracy = new Plot();
            accuracy.Layout.Fixed(Margins);
            if (evaluated.Length > 0)
            {
                var ys = evaluated.Select(r => 100 * r.TestAccuracy).ToArray();
                var s = accuracy.Add.Scatter(evaluated.Select(r => (double)r.Round).ToArray(), ys);
                s.LegendText = "test accuracy";
                s.LineWidth = 2;
                s.MarkerSize = evaluated.Length <= 60 ? 5 : 0;
                s.Color = Colors.C0;
                var (lo, hi) = Fitted(ys, 0, 100);
                accuracy.Axes.SetLimitsY(lo, hi);
                Annotate(accuracy, xMax, ys[^1], $"final {ys[^1].ToString("0.00", CultureInfo.InvariantCulture)}%", Colors.C0);
            }
            else
            {
                accuracy.Axes.SetLimitsY(0, 100);
            }
            accuracy.Axes.SetLimitsX(0, xMax);
            accuracy.Title(title, size: 13);
            accuracy.YLabel("test accuracy (%)");

            using var loss = new Plot();
            loss.Layout.Fixed(Margins);
            var lossValues = new List<double>();
            var tested = evaluated.Where(r => double.IsFinite(r.TestLoss)).ToArray();
            var finalTest = tested.Length > 0 ? tested[^1].TestLoss : double.NaN;
            if (trained.Length > 0)
            {
                var xs = trained.Select(r => (double)r.Round).ToArray();
                var raw = trained.Select(r => r.TrainLoss).ToArray();
                var half = Math.Max(1, raw.Length / 120);
                var (low, high) = Envelope(raw, half);
                var band = loss.Add.FillY(xs, low, high);
                band.FillColor = Colors.OrangeRed.WithAlpha(0.18);
                band.LineColor = Colors.Transparent;
                band.LegendText = "train, raw (running min–max)";
                var smooth = Smooth(raw, half);
                var s = loss.Add.Scatter(xs, smooth);
                s.MarkerSize = 0;
                s.LineWidth = 2;
                s.Color = Colors.OrangeRed;
                s.LegendText = "train (median reported, smoothed)";
                lossValues.AddRange(low);
                lossValues.AddRange(high);
                // The higher of the two final values is labelled above its line, the lower below: they never overlap.
                Annotate(loss, xMax, smooth[^1], $"train {smooth[^1].ToString("0.0000", CultureInfo.InvariantCulture)}", Colors.OrangeRed,
                    below: double.IsFinite(finalTest) && smooth[^1] < finalTest);
            }
            if (tested.Length > 0)
            {
                var ys = tested.Select(r => r.TestLoss).ToArray();
                var t = loss.Add.Scatter(tested.Select(r => (double)r.Round).ToArray(), ys);
                t.LineWidth = 2;
                t.MarkerSize = tested.Length <= 60 ? 5 : 0;
                t.Color = Colors.C0;
                t.LegendText = "test";
                lossValues.AddRange(ys);
                var finalTrain = trained.Length > 0 ? Smooth(trained.Select(r => r.TrainLoss).ToArray(), Math.Max(1, trained.Length / 120))[^1] : double.NaN;
                Annotate(loss, xMax, ys[^1], $"test {ys[^1].ToString("0.0000", CultureInfo.InvariantCulture)}", Colors.C0,
                    below: !double.IsFinite(finalTrain) || ys[^1] <= finalTrain);
            }
            if (lossValues.Count > 0)
            {
                var (lo, hi) = Fitted(lossValues.Where(double.IsFinite).ToArray(), 0, double.PositiveInfinity);
                loss.Axes.SetLimitsY(lo, hi);
            }
            loss.Axes.SetLimitsX(0, xMax);
            loss.ShowLegend(Alignment.UpperRight);
            loss.YLabel("loss");
            loss.XLabel("round");

            var a = accuracy.GetImageBytes(Width, Height, ImageFormat.Png);
            var b = loss.GetImageBytes(Width, Height, ImageFormat.Png);
            ChartImages.Stack(path, [a, b], Width, Height);
            TrimmingChart.Write(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "trimming.png"), rows, settings);
            return true;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"warning: chart.png not written: {e.Message}");
            return false;
        }
    }

    /// <summary>Axis limits around the data with a 10 % margin (at least a little), clamped to [min, max].</summary>
    internal static (double Lo, double Hi) Fitted(IReadOnlyList<double> values, double min, double max)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return (min, double.IsFinite(max) ? max : 1);
        double lo = finite.Min(), hi = finite.Max();
        var margin = Math.Max((hi - lo) * 0.1, Math.Max(Math.Abs(hi) * 0.01, 1e-6));
        return (Math.Max(min, lo - margin), Math.Min(max, hi + margin));
    }

    /// <summary>Centred moving average over 2·<paramref name="half"/> + 1 values (fewer at the ends), NaN ignored.</summary>
    internal static double[] Smooth(IReadOnlyList<double> ys, int half)
    {
        var n = ys.Count;
        var sum = new double[n + 1];
        var count = new int[n + 1];
        for (var i = 0; i < n; i++)
        {
            var ok = double.IsFinite(ys[i]);
            sum[i + 1] = sum[i] + (ok ? ys[i] : 0);
            count[i + 1] = count[i] + (ok ? 1 : 0);
        }
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            int a = Math.Max(0, i - half), b = Math.Min(n, i + half + 1), c = count[b] - count[a];
            result[i] = c > 0 ? (sum[b] - sum[a]) / c : double.NaN;
        }
        return result;
    }

    /// <summary>Running min and max over the same centred window as <see cref="Smooth"/>.</summary>
    internal static (double[] Low, double[] High) Envelope(IReadOnlyList<double> ys, int half)
    {
        var n = ys.Count;
        var low = new double[n];
        var high = new double[n];
        for (var i = 0; i < n; i++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int j = Math.Max(0, i - half), end = Math.Min(n, i + half + 1); j < end; j++)
            {
                if (!double.IsFinite(ys[j])) continue;
                lo = Math.Min(lo, ys[j]);
                hi = Math.Max(hi, ys[j]);
            }
            low[i] = double.IsFinite(lo) ? lo : double.NaN;
            high[i] = double.IsFinite(hi) ? hi : double.NaN;
        }
        return (low, high);
    }

    /// <summary>A final value written at the right end of its line, inside the data area.</summary>
    internal static void Annotate(Plot plot, double x, double y, string text, Color color, bool below = false)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelFontSize = 12;
        label.LabelFontColor = color;
        label.LabelBold = true;
        label.LabelAlignment = below ? Alignment.UpperRight : Alignment.LowerRight;
        label.OffsetY = below ? 4 : -4;
        label.IsVisible = double.IsFinite(y);
        label.Axes.XAxis = plot.Axes.Bottom;
    }
}

/// <summary>PNG helpers shared by the charts: panels stacked vertically.</summary>
internal static class ChartImages
{
    public static void Stack(string path, IReadOnlyList<byte[]> panels, int width, int height)
    {
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, height * panels.Count));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        for (var i = 0; i < panels.Count; i++)
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode(panels[i]);
            surface.Canvas.DrawBitmap(bitmap, 0, height * i);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
