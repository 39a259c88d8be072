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

    /// <summary>
    /// The network for <paramref name="n"/> inputs pruned backwards to the comparators that can influence the values
    /// at ranks <paramref name="lo"/>..<paramref name="hi"/> (e.g. 85 → 70 comparators for the median of 17).
    /// After running it, positions lo..hi hold exactly the sorted values of those ranks (other positions are
    /// unspecified).
    /// </summary>
    public static (int Lo, int Hi)[] ForRanks(int n, int lo, int hi)
    {
        if (lo < 0 || hi >= n || lo > hi) throw new ArgumentOutOfRangeException(nameof(lo), $"Ranks {lo}..{hi} not within 0..{n - 1}.");
        return RankCache.GetOrAdd((n, lo, hi), key =>
        {
            var full = For(key.N);
            var need = new bool[key.N];
            for (int r = key.Lo; r <= key.Hi; r++) need[r] = true;
            var kept = new List<(int, int)>();
            for (int c = full.Length - 1; c >= 0; c--)
            {
                var (a, b) = full[c];
                if (!need[a] && !need[b]) continue;
                kept.Add((a, b));
                need[a] = need[b] = true;
            }
            kept.Reverse();
            return kept.ToArray();
        });
    }

    private static readonly ConcurrentDictionary<(int N, int Lo, int Hi), (int Lo, int Hi)[]> RankCache = new();

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
