using AkkaByz.Core.Aggregation;
using MathNet.Numerics.Distributions;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>
/// m − f honest vectors around μ plus f adversarial ones: CTMA over every baseline stays within a constant times the
/// honest spread of the honest mean.
/// </summary>
public class RobustnessTests
{
    public static IEnumerable<object[]> Cases()
    {
        string[] baselines = ["mean", "cwmed", "cwtm", "geomed", "krum", "multikrum", "nnm(cwtm)", "meamed", "arc(cwtm)", "mda"];
        string[] attacks = ["huge", "huge-mixed", "alie", "offset", "mimic"];
        foreach (var (m, f) in new[] { (19, 8), (11, 3), (7, 2) })
            foreach (var a in attacks)
                foreach (var b in baselines)
                    yield return [b, a, m, f];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ctma_stays_near_the_honest_mean_for_every_baseline(string baseline, string attack, int m, int f)
    {
        const int d = 64;
        var rng = new Random(HashCode.Combine(baseline.Length, attack.Length, m));
        var mu = Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        var honest = Enumerable.Range(0, m - f)
            .Select(_ => mu.Select(v => (float)(v + TestData.Normal(rng))).ToArray()).ToArray();
        var hd = honest.Select(v => v.Select(c => (double)c).ToArray()).ToArray();
        var hmean = ScalarReference.Mean(hd);
        double spread = Math.Sqrt(hd.Average(v => ScalarReference.D2(v, hmean)));
        var byz = Adversaries(attack, honest, hmean, m, f, rng);
        // Adversaries first: index order must not help the honest vectors in ties.
        var x = byz.Concat(honest).ToArray();

        var y = TestData.Run($"ctma({baseline})", x, f);
        double err = Math.Sqrt(ScalarReference.D2(y.Select(v => (double)v).ToArray(), hmean));
        Assert.True(err <= 3.0 * spread, $"ctma({baseline}) under {attack}, m={m} f={f}: error {err:G4} vs spread {spread:G4}");
    }

    private static float[][] Adversaries(string attack, float[][] honest, double[] hmean, int m, int f, Random rng)
    {
        int d = hmean.Length;
        switch (attack)
        {
            case "huge":
                return Enumerable.Range(0, f).Select(_ => Enumerable.Repeat(1e30f, d).ToArray()).ToArray();
            case "huge-mixed":
                return Enumerable.Range(0, f)
                    .Select(i => Enumerable.Range(0, d).Select(_ => (float)((rng.NextDouble() - 0.5) * 2e30)).ToArray()).ToArray();
            case "alie":
            {
                int s = m / 2 + 1 - f;
                double z = Normal.InvCDF(0, 1, (double)(m - f - s) / (m - f));
                var sd = Enumerable.Range(0, d)
                    .Select(j => Math.Sqrt(honest.Average(v => (v[j] - hmean[j]) * (v[j] - hmean[j])))).ToArray();
                var v = Enumerable.Range(0, d).Select(j => (float)(hmean[j] - z * sd[j])).ToArray();
                return Enumerable.Range(0, f).Select(_ => v.ToArray()).ToArray();
            }
            case "offset":
                return Enumerable.Range(0, f).Select(_ => hmean.Select(t => (float)(t + 3)).ToArray()).ToArray();
            case "mimic":
                return Enumerable.Range(0, f).Select(_ => honest[0].ToArray()).ToArray();
            default: throw new ArgumentException(attack);
        }
    }

    [Theory]
    [InlineData("huge")]
    [InlineData("huge-mixed")]
    [InlineData("alie")]
    [InlineData("offset")]
    [InlineData("mimic")]
    public void Bulyan_and_ctma_of_bulyan_stay_near_the_honest_mean(string attack)
    {
        const int d = 64;
        int m = 19, f = 4; // m ≥ 4f + 3
        var rng = new Random(attack.Length);
        var mu = Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        var honest = Enumerable.Range(0, m - f)
            .Select(_ => mu.Select(v => (float)(v + TestData.Normal(rng))).ToArray()).ToArray();
        var hd = honest.Select(v => v.Select(c => (double)c).ToArray()).ToArray();
        var hmean = ScalarReference.Mean(hd);
        double spread = Math.Sqrt(hd.Average(v => ScalarReference.D2(v, hmean)));
        var x = Adversaries(attack, honest, hmean, m, f, rng).Concat(honest).ToArray();
        foreach (var spec in new[] { "bulyan", "ctma(bulyan)" })
        {
            var y = TestData.Run(spec, x, f);
            double err = Math.Sqrt(ScalarReference.D2(y.Select(v => (double)v).ToArray(), hmean));
            Assert.True(err <= 3.0 * spread, $"{spec} under {attack}: error {err:G4} vs spread {spread:G4}");
        }
    }

    [Fact]
    public void Ctma_reports_the_huge_adversaries_as_suspects()
    {
        var rng = new Random(3);
        int m = 17, f = 8, d = 32;
        var x = TestData.Gaussian(rng, m, d);
        for (int i = 0; i < f; i++) x[2 * i] = Enumerable.Repeat(1e30f, d).ToArray();
        var report = AggregatorSpec.Parse("ctma(cwtm)").Build(m, f).Aggregate(x, new float[d]);
        Assert.Equal(Enumerable.Range(0, f).Select(i => 2 * i), report.Suspects);
        Assert.Equal(m - f, report.Selected.Count);
    }
}
