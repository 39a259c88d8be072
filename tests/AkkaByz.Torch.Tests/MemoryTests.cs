using AkkaByz.Core.Data;
using Xunit.Abstractions;

namespace AkkaByz.Torch.Tests;

public class MemoryTests(ITestOutputHelper output)
{
    /// <summary>Resident set size of this process, from /proc/self/status (bytes).</summary>
    internal static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    [Fact]
    public void Resident_memory_stays_flat_over_a_thousand_steps()
    {
        // Each step allocates several MB of activations and autograd state; if the per-step dispose scope leaked,
        // 1000 steps would add gigabytes.
        var shape = new SampleShape(1, 28, 28);
        var data = TestData.Synthetic(shape, 10, 256, 8);
        using var model = TorchModels.Create("cnn-mnist", shape, 10);
        var x = new float[model.ParameterCount];
        model.Initialize(x, 3);
        var g = new float[x.Length];
        var rng = new Random(4);
        var batch = new int[32];
        void Steps(int n)
        {
            for (int t = 0; t < n; t++)
            {
                for (int i = 0; i < batch.Length; i++) batch[i] = rng.Next(data.Count);
                model.LossAndGradient(x, data, batch, g);
                for (int i = 0; i < x.Length; i++) x[i] -= 0.01f * g[i];
            }
            model.Evaluate(x, data);
        }
        Steps(100); // warm-up: allocator pools, JIT, libtorch caches
        GC.Collect();
        long before = Rss();
        Steps(1000);
        GC.Collect();
        long after = Rss();
        output.WriteLine($"RSS {before / 1048576.0:F1} MiB → {after / 1048576.0:F1} MiB over 1000 steps");
        Assert.True(after - before < 64L << 20, $"RSS grew {(after - before) / 1048576.0:F1} MiB over 1000 steps (from {before / 1048576.0:F1} MiB)");
    }
}
