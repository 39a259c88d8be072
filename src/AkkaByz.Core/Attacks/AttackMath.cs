using System.Numerics;
namespace AkkaByz.Core.Attacks;

/// <summary>Per-coordinate statistics of the honest vectors (accumulated in double) and input checks shared by attacks.</summary>
internal static class AttackMath
{
    public static IReadOnlyList<float[]> RequireHonest(IAttack attack, AttackContext context, int length)
    {
        ArgumentNullException.ThrowIfNull(context);
        var honest = context.HonestVectors;
        if (honest is null || honest.Count == 0)
            throw new ArgumentException($"Attack '{attack.Name}' needs the round's honest vectors, but none were given.", nameof(context));
        for (var i = 0; i < honest.Count; i++)
            if (honest[i].Length != length)
                throw new ArgumentException($"Honest vector {i} has length {honest[i].Length}, the output has length {length}.", nameof(context));
        return honest;
    }

    public static ReadOnlySpan<float> RequireOwn(IAttack attack, AttackContext context, int length)
    {
        ArgumentNullException.ThrowIfNull(context);
        var own = context.OwnUpdate.Span;
        if (own.Length != length)
            throw new ArgumentException(
                $"Attack '{attack.Name}' needs the worker's own update of length {length}, got length {own.Length}.", nameof(context));
        return own;
    }

    /// <summary>Coordinate j of the mean of the vectors, in double.</summary>
    public static double Mean(IReadOnlyList<float[]> vectors, int j)
    {
        double s = 0;
        for (var i = 0; i < vectors.Count; i++) s += vectors[i][j];
        return s / vectors.Count;
    }

    /// <summary>Writes the per-coordinate mean (double accumulation) scaled by <paramref name="scale"/>.</summary>
    /// <remarks>
    /// Vectorised across coordinates (8 floats widened to two blocks of doubles): every coordinate sees the scalar
    /// form's operations in the same order (sum over the vectors, divide by their count, multiply by the scale, round to
    /// float), so the output is bit-identical to the scalar loop, which handles the tail.
    /// </remarks>
    public static void ScaledMean(IReadOnlyList<float[]> vectors, double scale, Span<float> output)
    {
        var rows = vectors as float[][] ?? vectors.ToArray();
        var n = rows.Length;
        var j = 0;
        if (Vector.IsHardwareAccelerated && n > 0)
        {
            var w = Vector<float>.Count;
            var count = new Vector<double>(n);
            var sv = new Vector<double>(scale);
            for (; j <= output.Length - w; j += w)
            {
                Vector<double> sLo = Vector<double>.Zero, sHi = Vector<double>.Zero;
                for (var i = 0; i < n; i++)
                {
                    Vector.Widen(new Vector<float>(rows[i], j), out var lo, out var hi);
                    sLo += lo;
                    sHi += hi;
                }
                Vector.Narrow(sv * (sLo / count), sv * (sHi / count)).CopyTo(output.Slice(j, w));
            }
        }
        for (; j < output.Length; j++) output[j] = (float)(scale * Mean(rows, j));
    }
}
