using System.Runtime.CompilerServices;
using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Attacks;

/// <summary>
/// Per-coordinate mean and sample standard deviation (n − 1 denominator, as torch.std; 0 for one vector) of the
/// honest vectors, accumulated in double row by row (contiguous reads), in parallel over coordinate chunks (the
/// same chunking as the aggregation kernels). Buffers are kept between calls (one instance per attack instance;
/// not for two threads at once).
/// </summary>
internal sealed class HonestStatistics
{
    private const int Align = 1024;

    public double[] Mean { get; private set; } = [];
    public double[] Std { get; private set; } = [];

    /// <summary>The mean narrowed to float (what the distances are measured against).</summary>
    public float[] MeanFloat { get; private set; } = [];

    public void Compute(IReadOnlyList<float[]> rows, int d, bool withStd)
    {
        if (Mean.Length != d)
        {
            Mean = new double[d];
            Std = new double[d];
            MeanFloat = new float[d];
        }
        var mean = Mean;
        var std = Std;
        var meanF = MeanFloat;
        int n = rows.Count;
        int chunks = ParallelChunks.Count(d, (long)n * d, Align);
        ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
        {
            var (start, len) = ParallelChunks.Range(d, chunks, chunk, Align);
            var mu = mean.AsSpan(start, len);
            mu.Clear();
            for (int i = 0; i < n; i++)
            {
                var x = rows[i].AsSpan(start, len);
                for (int j = 0; j < mu.Length; j++) mu[j] += x[j];
            }
            for (int j = 0; j < mu.Length; j++) mu[j] /= n;
            var mf = meanF.AsSpan(start, len);
            for (int j = 0; j < mu.Length; j++) mf[j] = (float)mu[j];
            if (!withStd) return;
            var s = std.AsSpan(start, len);
            s.Clear();
            if (n < 2) return;
            for (int i = 0; i < n; i++)
            {
                var x = rows[i].AsSpan(start, len);
                for (int j = 0; j < s.Length; j++) { double t = x[j] - mu[j]; s[j] += t * t; }
            }
            for (int j = 0; j < s.Length; j++) s[j] = Math.Sqrt(s[j] / (n - 1));
        });
    }
}
