namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// Draws b of d coordinates without replacement, for the rules that work on a random sample of coordinates (DnC,
/// SignGuard): a partial Fisher–Yates shuffle of a persistent identity permutation, restored after each draw so the
/// sample depends only on the random stream, then sorted so gathers walk memory forwards. Allocates only when d or b
/// changes. The stream of a call comes from <see cref="CallRandom"/>: the rule's build seed and its call number (the
/// rule's <see cref="AggregatorState"/>), so a restored checkpoint draws the same coordinates.
/// </summary>
internal sealed class CoordinateSampler
{
    private int[] _perm = [];
    private int[] _idx = [];
    private int[] _swaps = [];

    /// <summary>The call's random stream: the build seed and the call number, mixed.</summary>
    internal static Random CallRandom(int seed, long call) =>
        new(unchecked((int)(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)call * 0xBF58476D1CE4E5B9UL)) ^ (int)(call >> 32)));

    /// <summary>
    /// The sorted sample of <paramref name="b"/> coordinates of 0..d−1 drawn from <paramref name="rng"/>; empty when
    /// b ≥ d (meaning: all coordinates, in order; no number is drawn). The array is reused by the next draw.
    /// </summary>
    internal int[] Draw(Random rng, int d, int b)
    {
        if (b >= d) return [];
        if (_perm.Length != d)
        {
            _perm = new int[d];
            for (int j = 0; j < d; j++) _perm[j] = j;
        }
        if (_idx.Length != b) { _idx = new int[b]; _swaps = new int[b]; }
        for (int j = 0; j < b; j++)
        {
            int r = j + rng.Next(d - j);
            _swaps[j] = r;
            (_perm[j], _perm[r]) = (_perm[r], _perm[j]);
            _idx[j] = _perm[j];
        }
        for (int j = b - 1; j >= 0; j--) (_perm[j], _perm[_swaps[j]]) = (_perm[_swaps[j]], _perm[j]); // back to the identity
        Array.Sort(_idx);
        return _idx;
    }
}
