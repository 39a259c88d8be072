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

    /// <summary>
    /// Coordinates j … j + <c>Vector&lt;float&gt;.Count</c> − 1 of the sum of the rows, widened to double (low and high
    /// halves), added in row order: per coordinate the scalar loop's sum, bit for bit.
    /// </summary>
    public static void SumWidened(float[][] rows, int j, out Vector<double> lo, out Vector<double> hi)
    {
        lo = Vector<double>.Zero;
        hi = Vector<double>.Zero;
        for (var i = 0; i < rows.Length; i++)
        {
            Vector.Widen(new Vector<float>(rows[i], j), out var l, out var h);
            lo += l;
            hi += h;
        }
    }

    /// <summary>Writes the per-coordinate mean (double accumulation) scaled by <paramref name="scale"/>.</summary>
    /// <remarks>
    /// The rows are read as an array (a list that is not one is copied once: its references only, so the vectorised
    /// loop indexes an array, not an interface, for every block of coordinates).
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
                SumWidened(rows, j, out var sLo, out var sHi);
                Vector.Narrow(sv * (sLo / count), sv * (sHi / count)).CopyTo(output.Slice(j, w));
            }
        }
        for (; j < output.Length; j++) output[j] = (float)(scale * Mean(rows, j));
    }
}
