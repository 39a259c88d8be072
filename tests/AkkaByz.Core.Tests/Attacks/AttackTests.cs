using AkkaByz.Core.Attacks;
using MathNet.Numerics.Distributions;

namespace AkkaByz.Core.Tests.Attacks;

public class AttackTests
{
    private static readonly float[][] Honest = [[1f, 2f, -3f], [3f, 2f, 1f], [5f, 2f, 2f]];
    private static readonly float[] Own = [0.5f, -1f, 2f];

    private static AttackContext Context(int m = 5, int f = 2, int seed = 42) => new(7, m, f, 0, Own, Honest, seed);

    private static float[] Craft(string spec, AttackContext? context = null)
    {
        var output = new float[3];
        AttackRegistry.Create(spec).Craft(context ?? Context(), output);
        return output;
    }

    private static void Near(double[] expected, float[] actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var j = 0; j < expected.Length; j++) Assert.True(Math.Abs(expected[j] - actual[j]) < tol, $"coordinate {j}: expected {expected[j]}, got {actual[j]}");
    }

    [Fact]
    public void None_sends_the_honest_update() => Assert.Equal(Own, Craft("none"));

    [Fact]
    public void Sign_flip_negates_the_own_update() => Assert.Equal([-0.5f, 1f, -2f], Craft("sf"));

    [Fact]
    public void Label_flip_maps_y_to_C_minus_1_minus_y_and_sends_its_update()
    {
        var lf = AttackRegistry.Create("lf");
        Assert.Equal(9, lf.TransformLabel(0, 10));
        Assert.Equal(0, lf.TransformLabel(9, 10));
        Assert.Equal(6, lf.TransformLabel(3, 10));
        Assert.Equal(1, ((IAttack)new NoAttack()).TransformLabel(1, 10)); // the default leaves labels alone
        Assert.Equal(Own, Craft("lf"));
        Assert.False(lf.NeedsHonestVectors);
    }

    [Theory]
    [InlineData("ipm", 0.5)]
    [InlineData("ipm(0.5)", 0.5)]
    [InlineData("ipm(eps=2)", 2.0)]
    public void Ipm_sends_minus_epsilon_times_the_honest_mean(string spec, double eps)
    {
        // mean = (3, 2, 0)
        Near([-eps * 3, -eps * 2, 0], Craft(spec));
        Assert.True(AttackRegistry.Create(spec).NeedsHonestVectors);
    }

    [Fact]
    public void Alie_z_follows_the_formula()
    {
        // m = 17, f = 8: s = ⌊8.5 + 1⌋ − 8 = 1, ratio = (17 − 8 − 1)/(17 − 8) = 8/9
        Assert.Equal(Normal.InvCDF(0, 1, 8.0 / 9.0), AlieAttack.ZFor(17, 8), 12);
        Assert.Equal(1.2206, AlieAttack.ZFor(17, 8), 3);
        // m = 5, f = 2: s = 3 − 2 = 1, ratio = 2/3
        Assert.Equal(Normal.InvCDF(0, 1, 2.0 / 3.0), AlieAttack.ZFor(5, 2), 12);
        // m = 2, f = 0: s = 2, ratio = 0 → clamped to 0.001
        Assert.Equal(Normal.InvCDF(0, 1, 0.001), AlieAttack.ZFor(2, 0), 12);
        Assert.True(double.IsFinite(AlieAttack.ZFor(10, 7))); // f > m/2: ratio 1 → clamped
    }

    [Theory]
    [InlineData(9, 29_034)]
    [InlineData(2, 37)]
    [InlineData(5, 7)]
    public void Alie_over_long_vectors_is_bit_identical_to_the_per_coordinate_formula(int n, int d)
    {
        // The vectorised kernel must do per coordinate exactly what the scalar formula does (double accumulation, same order).
        var rng = new Random(n * 1000 + d);
        var honest = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 4 - 2) * (rng.Next(3) == 0 ? 1e-3f : 1f)).ToArray()).ToArray();
        var output = new float[d];
        new AlieAttack().Craft(new AttackContext(3, 17, 8, 0, ReadOnlyMemory<float>.Empty, honest, 1), output);
        var z = AlieAttack.ZFor(17, 8);
        for (var j = 0; j < d; j++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += honest[i][j];
            var mean = sum / n;
            double ss = 0;
            for (var i = 0; i < n; i++) { var dv = honest[i][j] - mean; ss += dv * dv; }
            var expected = (float)(mean - z * Math.Sqrt(ss / (n - 1)));
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(output[j]), $"coordinate {j}: expected {expected:R}, got {output[j]:R}");
        }
    }

    [Theory]
    [InlineData(9, 29_034, 0.5)]
    [InlineData(1, 37, 0.1)]
    [InlineData(5, 7, 2.0)]
    public void Ipm_over_long_vectors_is_bit_identical_to_the_per_coordinate_formula(int n, int d, double epsilon)
    {
        var rng = new Random(n * 1000 + d);
        var honest = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 4 - 2) * (rng.Next(3) == 0 ? 1e-3f : 1f)).ToArray()).ToArray();
        var output = new float[d];
        new IpmAttack(epsilon).Craft(new AttackContext(3, 17, 8, 0, ReadOnlyMemory<float>.Empty, honest, 1), output);
        for (var j = 0; j < d; j++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++) sum += honest[i][j];
            var expected = (float)(-epsilon * (sum / n));
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(output[j]), $"coordinate {j}: expected {expected:R}, got {output[j]:R}");
        }
    }

    [Fact]
    public void Alie_sends_mean_minus_z_sigma_per_coordinate()
    {
        // μ = (3, 2, 0); sample σ (n − 1): (2, 0, √7)
        var z = Normal.InvCDF(0, 1, 2.0 / 3.0);
        Near([3 - 2 * z, 2, -z * Math.Sqrt(7)], Craft("alie"));
        Near([3 - 2 * 1.5, 2, -1.5 * Math.Sqrt(7)], Craft("alie(z=1.5)"));
    }

    [Fact]
    public void Gaussian_is_seeded_pure_noise_of_the_given_scale()
    {
        var a = Craft("gaussian(sigma=2)", Context(seed: 1));
        var b = Craft("gaussian(sigma=2)", Context(seed: 1));
        var c = Craft("gaussian(sigma=2)", Context(seed: 2));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.False(AttackRegistry.Create("gaussian").NeedsHonestVectors);
        var big = new float[20_000];
        AttackRegistry.Create("gaussian(sigma=2)").Craft(Context(), big);
        var mean = big.Average(v => (double)v);
        var sd = Math.Sqrt(big.Average(v => ((double)v - mean) * (v - mean)));
        Assert.InRange(mean, -0.1, 0.1);
        Assert.InRange(sd, 1.9, 2.1);
    }

    [Fact]
    public void Mimic_copies_the_chosen_honest_worker()
    {
        Assert.Equal(Honest[0], Craft("mimic"));
        Assert.Equal(Honest[2], Craft("mimic(target=2)"));
        Assert.Equal(Honest[1], Craft("mimic(target=4)")); // modulo the honest count
    }

    [Fact]
    public void Nan_and_inf_fill_the_vector()
    {
        Assert.All(Craft("nan"), v => Assert.True(float.IsNaN(v)));
        Assert.All(Craft("inf"), v => Assert.True(float.IsPositiveInfinity(v)));
    }

    [Theory]
    [InlineData("ipm")]
    [InlineData("alie")]
    [InlineData("mimic")]
    public void Omniscient_attacks_say_so_and_fail_clearly_without_honest_vectors(string spec)
    {
        var attack = AttackRegistry.Create(spec);
        Assert.True(attack.NeedsHonestVectors);
        var ex = Assert.Throws<ArgumentException>(() => attack.Craft(new AttackContext(1, 5, 2, 0, Own, [], 0), new float[3]));
        Assert.Contains("honest", ex.Message);
    }

    [Fact]
    public void Length_mismatches_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => AttackRegistry.Create("sf").Craft(Context(), new float[4]));
        Assert.Throws<ArgumentException>(() => AttackRegistry.Create("ipm").Craft(Context(), new float[2]));
    }

    [Theory]
    [InlineData("fang")]
    [InlineData("ipm(eps=x)")]
    [InlineData("ipm(sigma=1)")]
    [InlineData("sf(2)")]
    [InlineData("gaussian(sigma=-1)")]
    [InlineData("alie(z=1")]
    public void Bad_specs_are_rejected(string spec)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => AttackRegistry.Create(spec));
        if (spec == "fang") Assert.Contains("alie", ex.Message);
    }

    [Fact]
    public void Every_listed_name_builds()
    {
        foreach (var name in AttackRegistry.Names)
            Assert.NotNull(AttackRegistry.Create(name));
    }
}
