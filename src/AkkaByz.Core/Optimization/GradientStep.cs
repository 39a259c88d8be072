using System.Numerics.Tensors;

namespace AkkaByz.Core.Optimization;

/// <summary>Shared worker-side gradient preprocessing: g = clip_c(∇f(x; z)) + λx.</summary>
internal static class GradientStep
{
    /// <summary>
    /// Calls <paramref name="oracle"/> at <paramref name="x"/>, rescales the gradient to L2 norm ≤ clip (when clip &gt; 0),
    /// then adds weightDecay·x. Returns the oracle's loss.
    /// </summary>
    public static double Evaluate(GradientOracle oracle, ReadOnlySpan<float> x, Span<float> gradient, float clip, float weightDecay)
    {
        var loss = oracle(x, gradient);
        if (clip > 0)
        {
            var norm = TensorPrimitives.Norm((ReadOnlySpan<float>)gradient);
            if (norm > clip) TensorPrimitives.Multiply(gradient, clip / norm, gradient);
        }
        if (weightDecay > 0) TensorPrimitives.MultiplyAdd(x, weightDecay, gradient, gradient);
        return loss;
    }

    public static void CheckLengths(ReadOnlySpan<float> x, Span<float> update, int expected)
    {
        if (x.Length == 0) throw new ArgumentException("The query point x is empty.", nameof(x));
        if (update.Length != x.Length)
            throw new ArgumentException($"Update buffer has length {update.Length} but x has length {x.Length}.", nameof(update));
        if (expected >= 0 && x.Length != expected)
            throw new ArgumentException($"x has length {x.Length} but this worker's state has dimension {expected}.", nameof(x));
    }

    public static void CheckRound(long round, long lastRound)
    {
        if (round < 1) throw new ArgumentOutOfRangeException(nameof(round), round, "Rounds are numbered from 1.");
        if (round <= lastRound)
            throw new ArgumentException($"Round {round} is not after this worker's last round {lastRound}; an update per round at most.", nameof(round));
    }
}
