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
    public static void ScaledMean(IReadOnlyList<float[]> vectors, double scale, Span<float> output)
    {
        for (var j = 0; j < output.Length; j++) output[j] = (float)(scale * Mean(vectors, j));
    }
}
