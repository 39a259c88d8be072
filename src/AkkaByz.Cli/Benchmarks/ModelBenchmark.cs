using System.Diagnostics;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Torch;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>One measured configuration: <see cref="Workers"/> concurrent workers (own model each) with
/// <see cref="TorchThreads"/> libtorch intra-op threads; <see cref="Steps"/> gradients in total (each worker computes at
/// least the requested number and keeps going for at least 1 s).</summary>
public sealed record ModelBenchmarkRow(
    string Model, int Parameters, int Batch, int Workers, int TorchThreads, int Steps,
    double GradientsPerSecond, double MillisecondsPerGradient, double RssBeforeMiB, double RssAfterMiB);

/// <summary>Resident memory sampled while one worker computes many gradients in a row.</summary>
public sealed record ModelMemoryTrace(string Model, int Batch, int Steps, IReadOnlyList<(int Step, double RssMiB)> Samples)
{
    /// <summary>RSS growth from the first sample (after warm-up) to the last.</summary>
    public double GrowthMiB => Samples[^1].RssMiB - Samples[0].RssMiB;

    /// <summary>RSS growth from the second sample to the last: the allocator's pools have settled by then; a leak keeps growing.</summary>
    public double SteadyGrowthMiB => Samples.Count > 2 ? Samples[^1].RssMiB - Samples[1].RssMiB : GrowthMiB;
}

/// <summary>
/// Gradients per second of the gradient oracles (LossAndGradient at a fixed parameter vector on random minibatches of
/// a synthetic data set of the model's shape), and resident memory over thousands of steps.
/// Parallelism is measured two ways: several workers in one process, each with its own model and one torch thread
/// (how the actor runtime runs them), and one worker with several libtorch intra-op threads.
/// </summary>
public static class ModelBenchmark
{
    private const int WarmupSteps = 10;
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(0.25);
    private static readonly TimeSpan MinimumTime = TimeSpan.FromSeconds(1);
    private const int SyntheticSamples = 512;

    /// <param name="steps">Minimum timed gradients per worker (each also runs for at least 1 s).</param>
    public static ModelBenchmarkRow Measure(ModelBenchmarkCase c, int batch, int workers, int torchThreads, int steps)
    {
        var data = Synthetic(c);
        var models = new IGradientModel[workers];
        for (int w = 0; w < workers; w++) models[w] = c.Create(torchThreads);
        TorchRuntime.EnsureLoaded(torchThreads); // models not made by TorchModels still get the thread count
        try
        {
            double before = RssMiB();
            using var start = new Barrier(workers + 1);
            var began = new long[workers];
            var ended = new long[workers];
            var counts = new int[workers];
            var threads = new Thread[workers];
            for (int w = 0; w < workers; w++)
            {
                int id = w;
                threads[w] = new Thread(() =>
                {
                    var model = models[id];
                    var x = new float[model.ParameterCount];
                    model.Initialize(x, id + 1);
                    var g = new float[x.Length];
                    var idx = new int[batch];
                    var rng = new Random(1000 + id);
                    void Step()
                    {
                        for (int i = 0; i < idx.Length; i++) idx[i] = rng.Next(data.Count);
                        model.LossAndGradient(x, data, idx, g);
                    }
                    // Warm up JIT tiers (managed models) and libtorch's caches: at least 10 steps and 0.25 s.
                    long warm = Stopwatch.GetTimestamp();
                    for (int t = 0; t < WarmupSteps || Stopwatch.GetElapsedTime(warm) < WarmupTime; t++) Step();
                    start.SignalAndWait();
                    began[id] = Stopwatch.GetTimestamp();
                    int done = 0;
                    while (done < steps || Stopwatch.GetElapsedTime(began[id]) < MinimumTime) { Step(); done++; }
                    ended[id] = Stopwatch.GetTimestamp();
                    counts[id] = done;
                }) { IsBackground = true, Name = $"bench-worker-{id}" };
                threads[w].Start();
            }
            start.SignalAndWait();
            foreach (var t in threads) t.Join();
            // Wall time from the first worker's start to the last worker's end, stamped by the workers themselves.
            double seconds = Stopwatch.GetElapsedTime(began.Min(), ended.Max()).TotalSeconds;
            double msPerGradient = Enumerable.Range(0, workers).Average(w => Stopwatch.GetElapsedTime(began[w], ended[w]).TotalMilliseconds / counts[w]);
            double after = RssMiB();
            return new ModelBenchmarkRow(c.Name, models[0].ParameterCount, batch, workers, torchThreads, counts.Sum(),
                counts.Sum() / seconds, msPerGradient, before, after);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>One worker, one torch thread, <paramref name="steps"/> gradients; RSS sampled <paramref name="samples"/>+1 times.</summary>
    public static ModelMemoryTrace TraceMemory(ModelBenchmarkCase c, int batch, int steps, int samples = 5)
    {
        var data = Synthetic(c);
        using var model = c.Create(1);
        TorchRuntime.EnsureLoaded(1);
        var x = new float[model.ParameterCount];
        model.Initialize(x, 1);
        var g = new float[x.Length];
        var idx = new int[batch];
        var rng = new Random(7);
        var trace = new List<(int, double)>();
        for (int t = 0; t < WarmupSteps; t++) Step();
        trace.Add((0, RssMiB()));
        for (int s = 1; s <= samples; s++)
        {
            int until = (int)((long)steps * s / samples), from = (int)((long)steps * (s - 1) / samples);
            for (int t = from; t < until; t++) Step();
            trace.Add((until, RssMiB()));
        }
        return new ModelMemoryTrace(c.Name, batch, steps, trace);

        void Step()
        {
            for (int i = 0; i < idx.Length; i++) idx[i] = rng.Next(data.Count);
            model.LossAndGradient(x, data, idx, g);
            for (int i = 0; i < x.Length; i++) x[i] -= 1e-3f * g[i]; // move the point, as training does
        }
    }

    /// <summary>Resident set size of this process in MiB (/proc/self/status VmRSS), after a full GC.</summary>
    public static double RssMiB()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) / 1024.0;
        return double.NaN;
    }

    private static DataSet Synthetic(ModelBenchmarkCase c)
    {
        var rng = new Random(12345);
        var x = new float[SyntheticSamples * c.Shape.Size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var y = new int[SyntheticSamples];
        for (int i = 0; i < y.Length; i++) y[i] = rng.Next(c.ClassCount);
        return new DataSet($"bench-{c.Shape}", x, y, c.Shape, c.ClassCount);
    }
}
