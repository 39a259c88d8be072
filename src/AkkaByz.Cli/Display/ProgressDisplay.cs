using System.Globalization;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Cli.Display;

/// <summary>
/// The train command's console output: a header, one progress line every 10% of the rounds (round, loss, accuracy,
/// the current rounds/s — over the last <see cref="RateWindow"/> of the run, not the average since the start —,
/// elapsed time and ETA at that rate), and the final summary.
/// </summary>
internal sealed class ProgressDisplay(TextWriter output, bool quiet)
{
    private readonly object _gate = new();
    private long _rounds;
    private long _every = 1;
    private double _lastAccuracy = double.NaN;
    private readonly Queue<(double Elapsed, long Round)> _recent = new();

    /// <summary>The span of the run the current rounds/s is measured over.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private static string P(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    private void Header(AkkaByzSettings s)
    {
        if (quiet) return;
        output.WriteLine($"akkabyz train: {s.Model} on {s.Data.Source} ({s.Data.Partition}), m = {s.Workers}, f = {s.Byzantine}, attack = {s.Attack}, " +
                         $"aggregator = {s.Aggregator}, optimizer = {s.Optimizer.Name} (lr {P(s.Optimizer.LearningRate, "G4")}), batch {s.BatchSize}, seed {s.Seed}");
        var faults = new List<string>();
        if (s.Faults.Crashes.Count > 0) faults.Add("crash " + string.Join(' ', s.Faults.Crashes));
        if (s.Faults.CrashRate > 0) faults.Add($"crash-rate {P(s.Faults.CrashRate, "G3")}");
        if (s.Faults.Stragglers.Count > 0) faults.Add("stragglers " + string.Join(' ', s.Faults.Stragglers));
        if (s.Faults.Messages.Count > 0) faults.Add("message faults " + string.Join(' ', s.Faults.Messages));
        if (faults.Count > 0) output.WriteLine("faults: " + string.Join("; ", faults));
    }

    /// <summary>Once the run is composed (names resolved, data loaded): the header, so nothing prints for a run that cannot start.</summary>
    public void Composed(RunComponents c)
    {
        Header(c.Settings);
        _rounds = c.Rounds;
        _every = Math.Max(1, _rounds / 10);
        if (quiet) return;
        var normalization = c.Settings.Data.EffectiveNormalization;
        var scaled = normalization.Mode == AkkaByz.Core.Data.NormalizationMode.UnitRange ? "" : $", {normalization}";
        output.WriteLine($"data: {c.Train.Count} train / {c.Test.Count} test examples of {c.Train.Shape}, {c.Train.ClassCount} classes{scaled}; " +
                         $"d = {c.Dimension} parameters; {_rounds} rounds");
    }

    public void OnRow(MetricsRow row)
    {
        if (row.Evaluated) _lastAccuracy = row.TestAccuracy;
        if (row.Round > 0 && double.IsFinite(row.ElapsedSeconds))
        {
            _recent.Enqueue((row.ElapsedSeconds, row.Round));
            while (_recent.Count > 2 && _recent.Peek().Elapsed < row.ElapsedSeconds - RateWindow.TotalSeconds) _recent.Dequeue();
        }
        if (quiet || row.Round == 0 || (row.Round % _every != 0 && row.Round != _rounds)) return;
        var rate = CurrentRate(row);
        var eta = rate > 0 ? TimeSpan.FromSeconds((_rounds - row.Round) / rate) : (TimeSpan?)null;
        var accuracy = double.IsNaN(_lastAccuracy) ? "   -  " : P(100 * _lastAccuracy, "0.0").PadLeft(5) + "%"; // latest evaluation
        lock (_gate)
            output.WriteLine($"round {row.Round.ToString(CultureInfo.InvariantCulture).PadLeft(_rounds.ToString(CultureInfo.InvariantCulture).Length)}/{_rounds}" +
                             $"  loss {P(row.TrainLoss, "0.0000")}  test acc {accuracy}  received {row.Received}  rejected {row.Rejected}" +
                             $"  suspects {row.Suspects}  {P(rate, "0.0")} rounds/s  elapsed {Format(TimeSpan.FromSeconds(Math.Max(0, row.ElapsedSeconds)))}" +
                             (row.Round == _rounds ? "" : $"  ETA {Format(eta)}"));
    }

    /// <summary>Rounds per second over the rows of the last <see cref="RateWindow"/> (the average since the start until two rows are in it).</summary>
    private double CurrentRate(MetricsRow row)
    {
        if (_recent.Count >= 2)
        {
            var first = _recent.Peek();
            var span = row.ElapsedSeconds - first.Elapsed;
            if (span > 0) return (row.Round - first.Round) / span;
        }
        return row.ElapsedSeconds > 0 ? row.Round / row.ElapsedSeconds : 0;
    }

    /// <summary>m:ss, or h:mm:ss from an hour on; "?" when unknown.</summary>
    internal static string Format(TimeSpan? t) => t is not { } v ? "?" :
        v.TotalHours >= 1 ? $"{(int)v.TotalHours}:{v.Minutes:00}:{v.Seconds:00}" : $"{v.Minutes}:{v.Seconds:00}";

    public void Summary(AkkaByzSettings s, TrainingResult r)
    {
        var run = r.Run;
        var rejected = r.RejectedTotal == 0 ? "0" :
            $"{r.RejectedTotal} (" + string.Join(", ", run.Rejected.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")) + ")";
        lock (_gate)
        {
            output.WriteLine(run.Completed
                ? $"done: {run.Rounds} rounds in {P(run.WallSeconds, "0.0")} s ({P(r.RoundsPerSecond, "0.0")} rounds/s; setup {P(r.SetupSeconds, "0.0")} s)"
                : run.Reason.StartsWith("stopped", StringComparison.Ordinal) ? run.Reason : $"stopped: {run.Reason}");
            output.WriteLine($"final test accuracy {P(100 * r.Final.Accuracy, "0.00")}% (loss {P(r.Final.Loss, "0.0000")})");
            output.WriteLine($"updates accepted {run.UpdatesAccepted}, rejected {rejected}, suspects trimmed {run.Suspects}");
            if (r.OutputDirectory is not null)
                output.WriteLine($"outputs: {r.OutputDirectory}/ (metrics.csv, summary.json, parameters.bin{(s.Output.Chart ? ", chart.png, trimming.png" : "")})");
        }
    }
}
