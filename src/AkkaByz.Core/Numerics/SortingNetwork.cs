using System.Collections.Concurrent;

namespace AkkaByz.Core.Numerics;

/// <summary>
/// Batcher's odd–even merge sorting network for n inputs: generated for the next power of two N ≥ n and pruned of
/// every comparator touching an index ≥ n (padding with +∞ at the end makes those comparators no-ops, so the pruned
/// network still sorts n values). Comparators are (lo, hi) pairs: after the compare-exchange, lo holds the minimum.
/// Networks are cached per n.
/// </summary>
public static class SortingNetwork
{
    private static readonly ConcurrentDictionary<int, (int Lo, int Hi)[]> Cache = new();

    /// <summary>The comparators of the network for <paramref name="n"/> inputs, in execution order.</summary>
    public static (int Lo, int Hi)[] For(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return Cache.GetOrAdd(n, Build);
    }

    private static (int Lo, int Hi)[] Build(int n)
    {
        var comps = new List<(int, int)>();
        int size = 1;
        while (size < n) size <<= 1;
        for (int p = 1; p < size; p <<= 1)
        {
            for (int k = p; k >= 1; k >>= 1)
            {
                for (int j = k % p; j + k < size; j += 2 * k)
                {
                    for (int i = 0; i < k && i + j + k < size; i++)
                    {
                        int a = i + j, b = i + j + k;
                        if (a / (2 * p) != b / (2 * p)) continue;
                        if (b < n) comps.Add((a, b));
                    }
                }
            }
        }
        return comps.ToArray();
    }
}
