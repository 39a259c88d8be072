using System.Diagnostics;
using AkkaByz.Core.Data;
using AkkaByz.Torch;
using AkkaByz.Torch.Models;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>One measured configuration of the batched-gradient prototype against one call per gradient.</summary>
public sealed record EngineBenchmarkRow(int Honest, int Batch, int Jobs, double PerWorkerRoundsPerSecond, double BatchedTwoThreadsRoundsPerSecond,
    double BatchedOneCallRoundsPerSecond, double MaxRelativeDifference);

/// <summary>
/// A round's gradient calls for the cnn-mnist setup (2 per honest worker: µ²-SGD) computed three ways on this
/// machine's cores: one <see cref="TorchModel.LossAndGradient"/> call per gradient, a model per core (how the runtime
/// runs them, the bound of <c>bench runtime</c>); <see cref="BatchedMnistCnn"/> with half the jobs per core (one torch
/// thread each); and one batched call over all jobs with a torch thread per core. Also the largest difference between
/// a batched gradient and the per-call one, relative to the largest per-call gradient coordinate.
/// </summary>
public static class EngineBenchmark
{
    private static readonly SampleShape Mnist = new(1, 28, 28);

    public static EngineBenchmarkRow Measure(int honest, int batch, TimeSpan minimum)
    {
        int jobs = 2 * honest;
        int cores = Math.Max(1, Environment.ProcessorCount);
        var rng = new Random(honest * 31 + batch);
        var x = new float[512 * Mnist.Size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var labels = Enumerable.Range(0, 512).Select(_ => rng.Next(10)).ToArray();
        var data = new DataSet("bench-engine", x, labels, Mnist, 10);
        var models = Enumerable.Range(0, cores).Select(_ => TorchModels.Create("cnn-mnist", Mnist, 10, threads: 1)).ToArray();
        try
        {
            var points = new float[jobs][];
            var batches = new int[jobs][];
            var gradients = new float[jobs][];
            for (int j = 0; j < jobs; j++)
            {
                points[j] = new float[models[0].ParameterCount];
                models[0].Initialize(points[j], 1 + j / 2); // pairs of jobs: two workers' points
                batches[j] = Enumerable.Range(0, batch).Select(_ => rng.Next(data.Count)).ToArray();
                gradients[j] = new float[points[j].Length];
            }
            var engines = models.Select(m => new BatchedMnistCnn(m)).ToArray();

            // Correctness: batched gradients against per-call gradients.
            var reference = new float[jobs][];
            for (int j = 0; j < jobs; j++)
            {
                reference[j] = new float[points[j].Length];
                models[0].LossAndGradient(points[j], data, batches[j], reference[j]);
            }
            var losses = new double[jobs];
            engines[0].LossAndGradients(points, data, batches, gradients, losses);
            double scale = reference.Max(r => r.Max(Math.Abs)), diff = 0;
            for (int j = 0; j < jobs; j++)
                for (int i = 0; i < reference[j].Length; i++) diff = Math.Max(diff, Math.Abs(reference[j][i] - gradients[j][i]));

            double perWorker = Rate(cores, minimum, (core, _) =>
            {
                for (int j = core; j < jobs; j += cores) models[core].LossAndGradient(points[j], data, batches[j], gradients[j]);
            });
            var split = Enumerable.Range(0, cores).Select(c => Enumerable.Range(0, jobs).Where(j => j % cores == c).ToArray()).ToArray();
            double batchedSplit = Rate(cores, minimum, (core, _) =>
            {
                var mine = split[core];
                engines[core].LossAndGradients(mine.Select(j => points[j]).ToArray(), data, mine.Select(j => batches[j]).ToArray(),
                    mine.Select(j => gradients[j]).ToArray(), new double[mine.Length]);
            });
            double batchedOne = Rate(1, minimum, (_, first) =>
            {
                if (first) TorchSharp.torch.set_num_threads(cores);
                engines[0].LossAndGradients(points, data, batches, gradients, losses);
            }, restoreThreads: true);
            return new EngineBenchmarkRow(honest, batch, jobs, perWorker, batchedSplit, batchedOne, diff / scale);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>
    /// Rounds per second of <paramref name="round"/> run by <paramref name="threads"/> threads (each its share of a round):
    /// three warm-up rounds time one round, then every thread runs enough rounds for <paramref name="minimum"/>; wall
    /// time from the first thread's start to the last one's end.
    /// </summary>
    private static double Rate(int threads, TimeSpan minimum, Action<int, bool> round, bool restoreThreads = false)
    {
        using var barrier = new Barrier(threads);
        var began = new long[threads];
        var ended = new long[threads];
        int n = 0;
        var workers = Enumerable.Range(0, threads).Select(core => new Thread(() =>
        {
            TorchRuntime.ApplyToCurrentThread();
            round(core, true);
            var warm = Stopwatch.GetTimestamp();
            for (int w = 0; w < 2; w++) round(core, false);
            if (core == 0) n = Math.Max(5, (int)(minimum / (Stopwatch.GetElapsedTime(warm) / 2)));
            barrier.SignalAndWait();
            began[core] = Stopwatch.GetTimestamp();
            for (int r = 0; r < n; r++) round(core, false);
            ended[core] = Stopwatch.GetTimestamp();
            if (restoreThreads) TorchSharp.torch.set_num_threads(1);
        }) { IsBackground = true }).ToArray();
        foreach (var t in workers) t.Start();
        foreach (var t in workers) t.Join();
        return n / Stopwatch.GetElapsedTime(began.Min(), ended.Max()).TotalSeconds;
    }
}
