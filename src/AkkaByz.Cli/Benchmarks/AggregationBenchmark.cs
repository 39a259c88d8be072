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
    int Seed = 1,
    string? SaveOutputs = null)
{
    /// <summary>
    /// The default rule list, read from the rule catalog: every baseline, every meta-rule over cwtm, and ctma over
    /// every other baseline except mean (ctma(mean) is the mean of the m − f inputs nearest the mean).
    /// </summary>
    public static IReadOnlyList<string> DefaultRules
    {
        get
        {
            var rules = RuleRegistry.Describe();
            var baselines = rules.Where(r => !r.IsMeta).Select(r => r.Name).ToList();
            return
            [
                .. baselines,
                .. rules.Where(r => r.IsMeta).Select(r => r.Name + "(cwtm)"),
                .. baselines.Where(b => b is not ("mean" or "cwtm")).Select(b => $"ctma({b})"),
            ];
        }
    }
}

/// <summary>One measured rule.</summary>
/// <param name="Rule">The spec as given.</param>
/// <param name="Built">The built instance's canonical spec.</param>
/// <param name="F">The f it was built with (lower than requested when the rule's bound forbids the requested f).</param>
/// <param name="Ms">Median wall time of one Aggregate call, milliseconds.</param>
/// <param name="CpuMs">Process CPU time per call (all threads): robust to other load on a shared machine.</param>
/// <param name="InputGBps">m·d·4 bytes / time, in GB/s (10^9 bytes).</param>
/// <param name="Passes">Time over the time of one read of the input at the measured bandwidth.</param>
/// <param name="RatioToBandwidth">Input GB/s over the measured read bandwidth.</param>
/// <param name="Baseline">For meta-rules: the inner rule whose cost is subtracted (built for the same m and f).</param>
/// <param name="ExtraMs">For meta-rules: median over interleaved rounds of (meta time − inner time).</param>
/// <param name="ExtraPasses">For meta-rules: the extra time in passes over the input.</param>
/// <param name="ExtraCpuMs">For meta-rules: CPU time per call beyond the inner rule's.</param>
/// <param name="Note">Why f was lowered, or an error.</param>
/// <param name="PeakRssMb">The process's peak resident memory while this rule was built, warmed up and timed (Linux:
/// the peak is reset before each rule through /proc/self/clear_refs; it includes the input), MB (10^6 bytes).</param>
public sealed record AggregationBenchmarkRow(
    string Rule, string Built, int F, double Ms, double CpuMs, double InputGBps, double Passes, double RatioToBandwidth,
    string? Baseline, double? ExtraMs, double? ExtraPasses, double? ExtraCpuMs, string? Note, double? PeakRssMb = null);

/// <summary>The whole result.</summary>
/// <param name="BandwidthGBps">Memory-read bandwidth over a <paramref name="BandwidthMb"/> MB array, best of 11 (what
/// passes and ratios use).</param>
/// <param name="InputSizeBandwidthGBps">Read bandwidth over an array the size of the input (cache-resident when the
/// input fits in the last-level cache).</param>
public sealed record AggregationBenchmarkResult(
    int M, int F, int D, int Cores, int VectorWidth, double BandwidthGBps, int BandwidthMb,
    double InputSizeBandwidthGBps, double OnePassMs, int Repeat, int Warmup, IReadOnlyList<AggregationBenchmarkRow> Rows);

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
        double bytes = (double)o.M * o.D * sizeof(float);
        // Two read bandwidths: memory (a large array, beyond the last-level cache: the figure passes and ratios
        // use), and over an array the input's size (context: repeated calls may find the input in cache).
        double bw = MemoryBandwidth.Measure((long)o.BandwidthMb << 20);
        GC.Collect();
        double bwInput = MemoryBandwidth.Measure((long)bytes);
        GC.Collect();
        progress?.WriteLine(FormattableString.Invariant(
            $"read bandwidth: {bw / 1e9:F2} GB/s over {o.BandwidthMb} MB (memory), {bwInput / 1e9:F2} GB/s over {bytes / 1e6:F0} MB (the input's size); {Environment.ProcessorCount} cores"));

        // Warm every code path once on a small problem (JIT, thread pool) before timing the real size.
        var small = Inputs(o.M, o.F, Math.Min(o.D, 1 << 14), o.Seed);
        foreach (var spec in specs)
        {
            var (a, _, _) = BuildWithinBound(spec, o);
            for (int i = 0; a is not null && i < 3; i++) a.Aggregate(small, new float[small[0].Length]);
        }

        var x = Inputs(o.M, o.F, o.D, o.Seed);
        if (o.SaveOutputs is { } dir)
        {
            Directory.CreateDirectory(dir);
            using var input = File.Create(Path.Combine(dir, "input.f32"));
            foreach (var row in x) input.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
        }
        double onePassMs = bytes / bw * 1e3;
        var rows = new List<AggregationBenchmarkRow>();
        var y = new float[o.D];
        var yb = new float[o.D];

        foreach (var spec in specs)
        {
            PeakMemory.Reset();
            var (agg, f, note) = BuildWithinBound(spec, o);
            if (agg is null)
            {
                rows.Add(new AggregationBenchmarkRow(spec.ToString(), "", o.F, double.NaN, double.NaN, double.NaN,
                    double.NaN, double.NaN, null, null, null, null, note));
                continue;
            }
            // Meta-rules: time the inner rule (built for the same m and f) interleaved with the meta-rule, call by
            // call, so machine noise hits both alike; the extra cost is the median of the per-round differences.
            string? baseline = spec.Inner?.ToString();
            var (inner, _, _) = baseline is null ? (null, 0, null) : BuildWithinBound(spec.Inner!, o);
            for (int i = 0; i < o.Warmup; i++)
            {
                agg.Aggregate(x, y);
                inner?.Aggregate(x, yb);
            }
            var times = new double[o.Repeat];
            var diffs = new double[o.Repeat];
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            double cpuInner = 0;
            for (int i = 0; i < o.Repeat; i++)
            {
                var sw = Stopwatch.StartNew();
                agg.Aggregate(x, y);
                times[i] = sw.Elapsed.TotalMilliseconds;
                if (inner is not null)
                {
                    var c = Process.GetCurrentProcess().TotalProcessorTime;
                    sw.Restart();
                    inner.Aggregate(x, yb);
                    diffs[i] = times[i] - sw.Elapsed.TotalMilliseconds;
                    cpuInner += (Process.GetCurrentProcess().TotalProcessorTime - c).TotalMilliseconds;
                }
            }
            double cpuMs = ((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds - cpuInner) / o.Repeat;
            double min = times.Min();
            double ms = Median(times);
            double? extra = inner is null ? null : Median(diffs);
            string extraText = extra is { } e ? FormattableString.Invariant($", extra over {baseline}: {e:F2} ms") : "";
            double? peak = PeakMemory.PeakMb();
            string peakText = peak is { } p ? FormattableString.Invariant($", peak RSS {p:F0} MB") : "";
            progress?.WriteLine(FormattableString.Invariant(
                $"  {spec,-22} median {ms,8:F2} ms, min {min,8:F2} ms, CPU {cpuMs,8:F2} ms/call (f={f}){extraText}{peakText}"));
            double? extraCpu = inner is null ? null : cpuMs - cpuInner / o.Repeat;
            if (o.SaveOutputs is { } outDir)
                File.WriteAllBytes(Path.Combine(outDir, spec + ".f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(y.AsSpan()).ToArray());
            rows.Add(new AggregationBenchmarkRow(spec.ToString(), agg.Spec, f, ms, cpuMs, bytes / (ms / 1e3) / 1e9,
                ms / onePassMs, bytes / (ms / 1e3) / bw, baseline, extra, extra / onePassMs, extraCpu, note, peak));
            agg = null;
            inner = null;
            // Release this rule's scratch before the next one (a compacting full collection that also returns the
            // large-object heap's memory), so one rule's buffers never add to the next rule's peak; the shared pool of
            // whole-vector rows (nnm, bucketing, clip over a non-coordinate-wise rule) is emptied first.
            AggregationScratch.Release();
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        return new AggregationBenchmarkResult(o.M, o.F, o.D, Environment.ProcessorCount, Vector<float>.Count, bw / 1e9,
            o.BandwidthMb, bwInput / 1e9, onePassMs, o.Repeat, o.Warmup, rows);
    }

    private static double Median(double[] v)
    {
        var c = v.ToArray();
        Array.Sort(c);
        return c.Length % 2 == 1 ? c[c.Length / 2] : (c[c.Length / 2 - 1] + c[c.Length / 2]) / 2;
    }

    /// <summary>Builds at the requested f, or at the largest lower f the rule's bound allows (noted).</summary>
    private static (IAggregator? Agg, int F, string? Note) BuildWithinBound(AggregatorSpec spec, AggregationBenchmarkOptions o)
    {
        string? note = null;
        for (int f = o.F; f >= 0; f--)
        {
            try { return (spec.Build(o.M, f, o.Seed), f, note); }
            catch (ArgumentException e)
            {
                note ??= $"f lowered to satisfy the rule's bound: {FirstLine(e.Message)}";
            }
        }
        return (null, o.F, note ?? "cannot be built");
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
            "m = {0}, f = {1}, d = {2:N0} float32 ({3:F1} MB of input); {4} cores, Vector<float> = {5} lanes. " +
            "Memory-read bandwidth (best of 11 over a {6} MB array): {7:F2} GB/s, so one pass over the input = {8:F2} ms. " +
            "(Over an array of the input's size: {9:F2} GB/s.) Wall times: median of {10} calls after {11} warm-up.",
            r.M, r.F, r.D, (double)r.M * r.D * 4 / 1e6, r.Cores, r.VectorWidth, r.BandwidthMb, r.BandwidthGBps,
            r.OnePassMs, r.InputSizeBandwidthGBps, r.Repeat, r.Warmup));
        sb.AppendLine();
        sb.AppendLine("| rule | f | ms | CPU ms | input GB/s | passes | of bandwidth | peak RSS MB | extra over inner rule: ms (passes), CPU ms |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in r.Rows)
        {
            string extra = row.ExtraMs is { } e
                ? string.Format(inv, "{0}: {1:F1} ms ({2:F2}), CPU {3:F1} ms", row.Baseline, e, row.ExtraPasses, row.ExtraCpuMs)
                : "";
            string fcol = row.F == r.F ? row.F.ToString(inv) : row.F.ToString(inv) + "*";
            string peakCol = row.PeakRssMb is { } pk ? pk.ToString("F0", inv) : "–";
            sb.AppendLine(string.Format(inv, "| {0} | {1} | {2:F1} | {3:F1} | {4:F2} | {5:F2} | {6:P0} | {7} | {8} |",
                row.Rule, fcol, row.Ms, row.CpuMs, row.InputGBps, row.Passes, row.RatioToBandwidth, peakCol, extra));
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

/// <summary>The process's peak resident set (Linux: VmHWM in /proc/self/status, reset through /proc/self/clear_refs).</summary>
internal static class PeakMemory
{
    /// <summary>Resets the peak to the current resident set (no effect where /proc is missing).</summary>
    public static void Reset()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The peak resident set since the last reset, MB (10^6 bytes); null where unknown.</summary>
    public static double? PeakMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024 / 1e6;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }
}
