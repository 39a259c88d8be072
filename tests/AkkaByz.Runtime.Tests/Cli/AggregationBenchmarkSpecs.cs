using System.Runtime.InteropServices;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Core.Aggregation;

namespace AkkaByz.Runtime.Tests.Cli;

/// <summary>`bench aggregators --save-outputs`: the files hold the very input the rules ran on and their outputs.</summary>
public sealed class AggregationBenchmarkSpecs
{
    [Fact]
    public void Saved_outputs_are_the_rules_outputs_on_the_saved_input()
    {
        const int m = 7, f = 2, d = 1_003;
        string[] rules = ["cwtm", "clip(c=2,mean)", "arc(mean)"];
        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-save-outputs-" + Guid.NewGuid().ToString("N"));
        try
        {
            AggregationBenchmark.Run(new AggregationBenchmarkOptions(m, f, d, rules, Repeat: 1, Warmup: 0, BandwidthMb: 16, SaveOutputs: dir));
            var bytes = File.ReadAllBytes(Path.Combine(dir, "input.f32"));
            Assert.Equal(4 * m * d, bytes.Length);
            var all = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            var x = Enumerable.Range(0, m).Select(i => all.AsSpan(i * d, d).ToArray()).ToArray();
            Assert.Equal(AggregationBenchmark.Inputs(m, f, d, 1), x);
            foreach (var spec in rules)
            {
                var saved = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, spec + ".f32"))).ToArray();
                var y = new float[d];
                AggregatorSpec.Parse(spec).Build(m, f, 1).Aggregate(x, y);
                Assert.Equal(y, saved);
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
