using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using AkkaByz.Core.Aggregation;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>Settings of <c>akkabyz bench aggregators</c>.</summary>
public sealed record AggregationBenchmarkOptions(
    int M = 17,
    int F = 8,
    int D = 1_000_000,
    IReadOnlyList<string>? Rules = null,
    int Repeat = 7,
    int Warmup = 2,
    int BandwidthMb = 512,
    int Seed = 1)
{
    /// <summary>The default rule list: every baseline and the meta-rules over representative baselines.</summary>
    public static readonly IReadOnlyList<string> DefaultRules =
    [
        "mean", "cwmed", "cwtm", "geomed", "krum", "multikrum", "nnm(cwtm)", "ctma(cwtm)", "ctma(cwmed)",
        "ctma(geomed)", "bucketing(cwtm)", "nnm+ctma(cwtm)",
    ];
}

/// <summary>One measured rule.</summary>
/// <param name="Rule">The spec as given.</param>
/// <param name="Built">The built instance's canonical spec.</param>
/// <param name="F">The f it was built with (lower than requested when the rule's bound forbids the requested f).</param>
/// <param name="Ms">Median wall time of one Aggregate call, milliseconds.</param>
/// <param name="InputGBps">m·d·4 bytes / time, in GB/s (10^9 bytes).</param>
/// <param name="Passes">Time over the time of one read of the input at the measured bandwidth.</param>
/// <param name="RatioToBandwidth">Input GB/s over the measured read bandwidth.</param>
/// <param name="Baseline">For meta-rules: the inner rule whose cost is subtracted.</param>
/// <param name="ExtraMs">For meta-rules: time beyond the baseline's.</param>
/// <param name="ExtraPasses">For meta-rules: the extra time in passes over the input.</param>
/// <param name="Note">Why f was lowered, or an error.</param>
public sealed record AggregationBenchmarkRow(
    string Rule, string Built, int F, double Ms, double InputGBps, double Passes, double RatioToBandwidth,
    string? Baseline, double? ExtraMs, double? ExtraPasses, string? Note);

/// <summary>The whole result.</summary>
public sealed record AggregationBenchmarkResult(
    int M, int F, int D, int Cores, int VectorWidth, double BandwidthGBps, double OnePassMs, int Repeat, int Warmup,
    IReadOnlyList<AggregationBenchmarkRow> Rows);

/// <summary>
/// Times each aggregation rule on m random vectors of dimension d (median of repeated calls after warm-up) and
/// relates the time to this machine's measured memory-read bandwidth.
/// </summary>
public static class AggregationBenchmark
{
    public static AggregationBenchmarkResult Run(AggregationBenchmarkOptions o, TextWriter? progress = null)
    {
        var rules = o.Rules ?? AggregationBenchmarkOptions.DefaultRules;
        var specs = rules.Select(AggregatorSpec.Parse).ToList(); // fail fast on a bad spec
        double bw = MemoryBandwidth.Measure((long)o.BandwidthMb << 20);
        progress?.WriteLine(FormattableString.Invariant($"memory-read bandwidth: {bw / 1e9:F2} GB/s ({o.BandwidthMb} MB, {Environment.ProcessorCount} cores)"));
        GC.Collect();

        var x = Inputs(o.M, o.F, o.D, o.Seed);
        double bytes = (double)o.M * o.D * sizeof(float);
        double onePassMs = bytes / bw * 1e3;
        var measured = new Dictionary<string, (double Ms, int F)>();
        var rows = new List<AggregationBenchmarkRow>();

        foreach (var spec in specs)
        {
            string? baseline = spec.Inner is not null && spec.Name != "bucketing" ? spec.Inner.ToString() : null;
            if (spec.Name == "bucketing") baseline = spec.Inner!.ToString();
            var (ms, f, built, note) = Time(spec, x, o, measured, progress);
            double? extra = null, extraPasses = null;
            if (baseline is not null && ms is not null)
            {
                var b = AggregatorSpec.Parse(baseline);
                if (!measured.TryGetValue(b.ToString(), out var bm)) (bm.Ms, bm.F, _, _) = TimeOrNaN(b, x, o, measured, progress);
                if (!double.IsNaN(bm.Ms)) { extra = ms - bm.Ms; extraPasses = extra / onePassMs; }
            }
            double t = ms ?? double.NaN;
            rows.Add(new AggregationBenchmarkRow(spec.ToString(), built, f, t, bytes / (t / 1e3) / 1e9, t / onePassMs,
                bytes / (t / 1e3) / bw, baseline, extra, extraPasses, note));
            GC.Collect();
        }
        return new AggregationBenchmarkResult(o.M, o.F, o.D, Environment.ProcessorCount, Vector<float>.Count, bw / 1e9,
            onePassMs, o.Repeat, o.Warmup, rows);
    }

    private static (double Ms, int F, string Built, string? Note) TimeOrNaN(AggregatorSpec spec, float[][] x,
        AggregationBenchmarkOptions o, Dictionary<string, (double, int)> measured, TextWriter? progress)
    {
        var (ms, f, built, note) = Time(spec, x, o, measured, progress);
        return (ms ?? double.NaN, f, built, note);
    }

    private static (double? Ms, int F, string Built, string? Note) Time(AggregatorSpec spec, float[][] x,
        AggregationBenchmarkOptions o, Dictionary<string, (double Ms, int F)> measured, TextWriter? progress)
    {
        IAggregator? agg = null;
        string? note = null;
        int f = o.F;
        for (; f >= 0 && agg is null; f--)
        {
            try { agg = spec.Build(o.M, f, o.Seed); }
            catch (ArgumentException e) when (f > 0)
            {
                note ??= $"f lowered to satisfy the rule's bound: {FirstLine(e.Message)}";
            }
        }
        f++;
        if (agg is null) return (null, o.F, "", "cannot be built");
        var y = new float[o.D];
        for (int i = 0; i < o.Warmup; i++) agg.Aggregate(x, y);
        var times = new double[o.Repeat];
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < o.Repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            agg.Aggregate(x, y);
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / o.Repeat;
        Array.Sort(times);
        double ms = times[times.Length / 2];
        measured[spec.ToString()] = (ms, f);
        progress?.WriteLine(FormattableString.Invariant(
            $"  {spec,-22} median {ms,8:F2} ms, min {times[0],8:F2} ms, CPU {cpuMs,8:F2} ms/call (f={f})"));
        return (ms, f, agg.Spec, note);
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    /// <summary>m − f honest vectors N(μ, 1) around a random μ and f adversarial ones (μ + 10, a crude attack).</summary>
    public static float[][] Inputs(int m, int f, int d, int seed)
    {
        var x = new float[m][];
        Parallel.For(0, m, i =>
        {
            var rng = new Random(seed * 1000 + i);
            var mu = new Random(seed);
            var v = GC.AllocateUninitializedArray<float>(d);
            float shift = i < f ? 10f : 0f;
            for (int j = 0; j < d; j++) v[j] = (float)(mu.NextDouble() + rng.NextDouble() * 2 - 1) + shift;
            x[i] = v;
        });
        return x;
    }

    /// <summary>The table as Markdown.</summary>
    public static string FormatTable(AggregationBenchmarkResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Format(inv,
            "m = {0}, f = {1}, d = {2:N0} float32 ({3:F1} MB of input); {4} cores, Vector<float> = {5} lanes; " +
            "memory-read bandwidth {6:F2} GB/s, so one pass over the input = {7:F2} ms; median of {8} after {9} warm-up.",
            r.M, r.F, r.D, (double)r.M * r.D * 4 / 1e6, r.Cores, r.VectorWidth, r.BandwidthGBps, r.OnePassMs, r.Repeat, r.Warmup));
        sb.AppendLine();
        sb.AppendLine("| rule | f | ms | input GB/s | passes | of bandwidth | extra over baseline |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var row in r.Rows)
        {
            string extra = row.ExtraMs is { } e
                ? string.Format(inv, "{0:F1} ms = {1:F2} passes over {2}", e, row.ExtraPasses, row.Baseline)
                : "";
            string fcol = row.F == r.F ? row.F.ToString(inv) : row.F.ToString(inv) + "*";
            sb.AppendLine(string.Format(inv, "| {0} | {1} | {2:F1} | {3:F2} | {4:F2} | {5:P0} | {6} |",
                row.Rule, fcol, row.Ms, row.InputGBps, row.Passes, row.RatioToBandwidth, extra));
        }
        var notes = r.Rows.Where(x => x.Note is not null).ToList();
        if (notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var n in notes) sb.AppendLine($"\\* {n.Rule}: {n.Note}");
        }
        return sb.ToString();
    }

    public static string ToJson(AggregationBenchmarkResult r) =>
        JsonSerializer.Serialize(r, new JsonSerializerOptions { WriteIndented = true });
}
