using System.Numerics;
using MathNet.Numerics.Distributions;

namespace AkkaByz.Core.Attacks;

/// <summary>No attack: the "Byzantine" worker sends its honest update (a control).</summary>
public sealed class NoAttack : IAttack
{
    public string Name => "none";
    public bool NeedsHonestVectors => false;
    public void Craft(AttackContext context, Span<float> output) => AttackMath.RequireOwn(this, context, output.Length).CopyTo(output);
}

/// <summary>Sign flipping (SF; Allen-Zhu et al. 2021): sends −u, the negation of its own honest update u.</summary>
public sealed class SignFlipAttack : IAttack
{
    public string Name => "sf";
    public bool NeedsHonestVectors => false;

    public void Craft(AttackContext context, Span<float> output)
    {
        var own = AttackMath.RequireOwn(this, context, output.Length);
        System.Numerics.Tensors.TensorPrimitives.Negate(own, output);
    }
}

/// <summary>
/// Label flipping (LF; Allen-Zhu et al. 2021): the worker trains on labels y → C − 1 − y
/// (<see cref="TransformLabel"/>) and sends that update as is (<see cref="Craft"/> copies <see cref="AttackContext.OwnUpdate"/>).
/// </summary>
public sealed class LabelFlipAttack : IAttack
{
    public string Name => "lf";
    public bool NeedsHonestVectors => false;

    public int TransformLabel(int label, int classCount)
    {
        if ((uint)label >= (uint)classCount) throw new ArgumentOutOfRangeException(nameof(label), label, $"Label outside 0..{classCount - 1}.");
        return classCount - 1 - label;
    }

    public void Craft(AttackContext context, Span<float> output) => AttackMath.RequireOwn(this, context, output.Length).CopyTo(output);
}

/// <summary>
/// Inner-product manipulation (IPM, "empire"; Xie, Koyejo &amp; Gupta 2020): sends −ε · mean(honest vectors)
/// (mean per coordinate, in double). Reference ε = 0.5. Omniscient.
/// </summary>
public sealed class IpmAttack : IAttack
{
    public IpmAttack(double epsilon = 0.5)
    {
        if (!double.IsFinite(epsilon)) throw new ArgumentException($"IPM ε must be finite, got {epsilon}.", nameof(epsilon));
        Epsilon = epsilon;
    }

    public double Epsilon { get; }
    public string Name => FormattableString.Invariant($"ipm(eps={Epsilon})");
    public bool NeedsHonestVectors => true;
    public bool SameVectorForEveryByzantine => true;

    public void Craft(AttackContext context, Span<float> output) =>
        AttackMath.ScaledMean(AttackMath.RequireHonest(this, context, output.Length), -Epsilon, output);
}

/// <summary>
/// "A little is enough" (ALIE; Baruch, Baruch &amp; Goldberg 2019): sends μ_j − z·σ_j per coordinate, with μ and σ the
/// mean and sample standard deviation (n − 1 denominator, as torch.std; 0 when only one honest vector) of the honest
/// vectors, computed in double, and z = Φ⁻¹((m − f − s)/(m − f)), s = ⌊m/2 + 1⌋ − f (MathNet's Normal.InvCDF).
/// Edge cases: the ratio is clamped to [0.001, 0.999] before Φ⁻¹, so |z| ≤ 3.09 (the ratio reaches 1 only when
/// s ≤ 0, i.e. f > m/2, and 0 only for m ≤ 2: settings no robust rule covers). A fixed z may be given instead
/// (<c>alie(z=1.5)</c>). Omniscient.
/// </summary>
public sealed class AlieAttack : IAttack
{
    public AlieAttack(double? z = null)
    {
        if (z is { } v && !double.IsFinite(v)) throw new ArgumentException($"ALIE z must be finite, got {v}.", nameof(z));
        FixedZ = z;
    }

    /// <summary>z given by the user, or null for the formula.</summary>
    public double? FixedZ { get; }
    public string Name => FixedZ is { } z ? FormattableString.Invariant($"alie(z={z})") : "alie";
    public bool NeedsHonestVectors => true;
    public bool SameVectorForEveryByzantine => true;

    /// <summary>z = Φ⁻¹((m − f − s)/(m − f)), s = ⌊m/2 + 1⌋ − f, ratio clamped to [0.001, 0.999].</summary>
    public static double ZFor(int m, int f)
    {
        if (m < 1 || f < 0 || f >= m) throw new ArgumentException($"ALIE needs 0 ≤ f < m, got m={m}, f={f}.");
        var s = m / 2 + 1 - f;
        var ratio = (double)(m - f - s) / (m - f);
        return Normal.InvCDF(0, 1, Math.Clamp(ratio, 0.001, 0.999));
    }

    public void Craft(AttackContext context, Span<float> output)
    {
        var honest = AttackMath.RequireHonest(this, context, output.Length);
        var z = FixedZ ?? ZFor(context.M, context.F);
        var rows = honest.ToArray();
        var n = rows.Length;
        // Vectorised across coordinates (8 floats widened to two blocks of doubles): every coordinate sees exactly the
        // scalar loop's operations in the same order (sum, divide, squared deviations, sqrt, no fused multiply-add), so
        // the result is bit-identical to the scalar form below, which handles the tail.
        var j = 0;
        if (Vector.IsHardwareAccelerated && n > 1)
        {
            var w = Vector<float>.Count;
            var count = new Vector<double>(n);
            var dof = new Vector<double>(n - 1);
            var zv = new Vector<double>(z);
            for (; j <= output.Length - w; j += w)
            {
                AttackMath.SumWidened(rows, j, out var sLo, out var sHi);
                var meanLo = sLo / count;
                var meanHi = sHi / count;
                Vector<double> qLo = Vector<double>.Zero, qHi = Vector<double>.Zero;
                for (var i = 0; i < n; i++)
                {
                    Vector.Widen(new Vector<float>(rows[i], j), out var lo, out var hi);
                    var dLo = lo - meanLo;
                    var dHi = hi - meanHi;
                    qLo += dLo * dLo;
                    qHi += dHi * dHi;
                }
                var outLo = meanLo - zv * Vector.SquareRoot(qLo / dof);
                var outHi = meanHi - zv * Vector.SquareRoot(qHi / dof);
                Vector.Narrow(outLo, outHi).CopyTo(output.Slice(j, w));
            }
        }
        for (; j < output.Length; j++)
        {
            var mean = AttackMath.Mean(rows, j);
            double ss = 0;
            for (var i = 0; i < n; i++) { var dv = rows[i][j] - mean; ss += dv * dv; }
            var sigma = n > 1 ? Math.Sqrt(ss / (n - 1)) : 0;
            output[j] = (float)(mean - z * sigma);
        }
    }
}

/// <summary>
/// Gaussian noise: sends pure noise N(0, σ² I), seeded by <see cref="AttackContext.Seed"/> (not omniscient; it
/// ignores the worker's own update). Default σ = 1. The seed is scrambled (SplitMix64) before seeding the generator,
/// so consecutive seeds (e.g. one per round) give independent noise.
/// </summary>
public sealed class GaussianAttack : IAttack
{
    public GaussianAttack(double sigma = 1.0)
    {
        if (!(sigma >= 0) || !double.IsFinite(sigma)) throw new ArgumentException($"Gaussian σ must be finite and ≥ 0, got {sigma}.", nameof(sigma));
        Sigma = sigma;
    }

    public double Sigma { get; }
    public string Name => FormattableString.Invariant($"gaussian(sigma={Sigma})");
    public bool NeedsHonestVectors => false;

    public void Craft(AttackContext context, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rng = new Random(Scramble(context.Seed));
        for (var j = 0; j < output.Length; j++) output[j] = (float)(Sigma * Normal.Sample(rng, 0, 1));
    }

    /// <summary>SplitMix64 finaliser folded to a non-negative int: decorrelates nearby seeds (System.Random's seeded
    /// generator gives correlated first outputs for consecutive seeds).</summary>
    internal static int Scramble(int seed)
    {
        var z = (ulong)(uint)seed + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}

/// <summary>
/// Mimic (Karimireddy, He &amp; Jaggi 2022): every Byzantine worker copies one honest worker's vector, the one at index
/// <see cref="Target"/> (default 0) of the round's honest vectors (modulo their count). Omniscient.
/// </summary>
public sealed class MimicAttack : IAttack
{
    public MimicAttack(int target = 0)
    {
        if (target < 0) throw new ArgumentOutOfRangeException(nameof(target), target, "Mimic target must be ≥ 0.");
        Target = target;
    }

    public int Target { get; }
    public string Name => Target == 0 ? "mimic" : $"mimic(target={Target})";
    public bool NeedsHonestVectors => true;
    public bool SameVectorForEveryByzantine => true;

    public void Craft(AttackContext context, Span<float> output)
    {
        var honest = AttackMath.RequireHonest(this, context, output.Length);
        honest[Target % honest.Count].CopyTo(output);
    }
}

/// <summary>
/// Non-finite vector: every coordinate NaN (<c>nan</c>) or +∞ (<c>inf</c>). Tests that the runtime's validation
/// rejects the message instead of aggregating it.
/// </summary>
public sealed class NonFiniteAttack : IAttack
{
    public NonFiniteAttack(float value)
    {
        if (float.IsFinite(value)) throw new ArgumentException($"Non-finite attack needs NaN or ±∞, got {value}.", nameof(value));
        Value = value;
    }

    public float Value { get; }
    public string Name => float.IsNaN(Value) ? "nan" : float.IsPositiveInfinity(Value) ? "inf" : "-inf";
    public bool NeedsHonestVectors => false;
    public void Craft(AttackContext context, Span<float> output) => output.Fill(Value);
}
