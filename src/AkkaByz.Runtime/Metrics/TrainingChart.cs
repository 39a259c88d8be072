using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Metrics;

/// <summary>chart.png: test accuracy (evaluated rounds) and train loss per round, two stacked panels (ScottPlot).</summary>
public static class TrainingChart
{
    /// <summary>Writes the chart; returns false (and leaves no file) when rendering is impossible here, e.g. no native Skia.</summary>
    public static bool Write(string path, IReadOnlyList<MetricsRow> rows, AkkaByzSettings settings)
    {
        try
        {
            var evaluated = rows.Where(r => r.Evaluated).OrderBy(r => r.Round).ToArray();
            var trained = rows.Where(r => double.IsFinite(r.TrainLoss)).OrderBy(r => r.Round).ToArray();
            var title = $"{settings.Model} on {settings.Data.Source}: m={settings.Workers}, f={settings.Byzantine}, attack={settings.Attack}, {settings.Aggregator}, {settings.Optimizer.Name}";

            using var accuracy = new ScottPlot.Plot();
            if (evaluated.Length > 0)
            {
                var s = accuracy.Add.Scatter(evaluated.Select(r => (double)r.Round).ToArray(), evaluated.Select(r => 100 * r.TestAccuracy).ToArray());
                s.LegendText = "test accuracy (%)";
            }
            accuracy.Title(title, size: 13);
            accuracy.YLabel("test accuracy (%)");
            accuracy.Axes.SetLimitsY(0, 100);

            using var loss = new ScottPlot.Plot();
            if (trained.Length > 0)
            {
                var s = loss.Add.Scatter(trained.Select(r => (double)r.Round).ToArray(), trained.Select(r => r.TrainLoss).ToArray());
                s.MarkerSize = 0;
                s.Color = ScottPlot.Colors.OrangeRed;
            }
            loss.YLabel("train loss (median reported)");
            loss.XLabel("round");

            const int width = 900, height = 340;
            var a = accuracy.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
            var b = loss.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
            using var top = SkiaSharp.SKBitmap.Decode(a);
            using var bottom = SkiaSharp.SKBitmap.Decode(b);
            using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, 2 * height));
            surface.Canvas.Clear(SkiaSharp.SKColors.White);
            surface.Canvas.DrawBitmap(top, 0, 0);
            surface.Canvas.DrawBitmap(bottom, 0, height);
            using var image = surface.Snapshot();
            using var data = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
            return true;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"warning: chart.png not written: {e.Message}");
            return false;
        }
    }
}
