using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Meta;

/// <summary>
/// Bucketing(s) (Karimireddy, He, Jaggi, "Byzantine-robust learning on heterogeneous datasets via bucketing",
/// ICLR 2022): each call draws a random permutation of the m inputs from a stream seeded by the build seed and the
/// call number (the call number is this rule's <see cref="AggregatorState"/> slot, so a restored or shared state
/// continues the same permutations), averages consecutive buckets of s
/// (the last may be smaller), and applies the inner rule A to the k = ⌈m/s⌉ bucket means. Each Byzantine input can
/// spoil at most one bucket, so A is built for (k, f) and the bound is k &gt; 2f (plus A's own bound).
/// Default s: 2 when ⌈m/2⌉ &gt; 2f, else 1 (a pure shuffle: the inputs are passed by reference). With s ≥ 2 and a
/// coordinate-wise A the bucket means are built and aggregated block by block of coordinates (k × block floats of
/// scratch); any other A gets the k means whole, in rows rented from the shared pool for the call
/// (<see cref="AggregationScratch"/>). Reports A's report mapped back to the inputs (a
/// bucket's members are suspects when A discards the bucket).
/// </summary>
public sealed class Bucketing : AggregatorBase
{
    private readonly AggregatorBase _inner;
    private AggregatorState.Slot _slot = new();
    private readonly int[] _perm;
    private readonly double[] _w;
    private float[][] _means = Array.Empty<float[]>();
    private nint[] _meansAddr = Array.Empty<nint>();

    /// <summary>Default bucket size for (m, f): 2 when ⌈m/2⌉ &gt; 2f, else 1.</summary>
    public static int DefaultBucketSize(int m, int f) => (m + 1) / 2 > 2 * f ? 2 : 1;

    /// <summary>Number of buckets for m inputs in buckets of s.</summary>
    public static int BucketCount(int m, int s) => (m + s - 1) / s;

    /// <summary>Checks s against (m, f); throws ArgumentOutOfRangeException with the reason.</summary>
    public static void ValidateBound(int m, int f, int s)
    {
        if (s < 1 || s > m) throw new ArgumentOutOfRangeException(nameof(s), $"Bucketing needs 1 ≤ s ≤ m = {m}; got s = {s}.");
        int k = BucketCount(m, s);
        if (k <= 2 * f)
            throw new ArgumentOutOfRangeException(nameof(s),
                $"Bucketing with s = {s} turns m = {m} inputs into {k} buckets, but each of the f = {f} Byzantine inputs " +
                $"can spoil one bucket, so more than 2f = {2 * f} buckets are needed; use a smaller s.");
    }

    /// <param name="m">Inputs per call.</param>
    /// <param name="f">Tolerated Byzantine inputs.</param>
    /// <param name="s">Bucket size.</param>
    /// <param name="inner">A, built for (⌈m/s⌉, f).</param>
    /// <param name="seed">Seed of the permutation stream (one permutation per call).</param>
    /// <param name="sIsDefault">Whether s was chosen by default (affects only <see cref="Spec"/>).</param>
    public Bucketing(int m, int f, int s, AggregatorBase inner, int seed, bool sIsDefault = false) : base(m, f)
    {
        ValidateBound(m, f, s);
        if (inner.M != BucketCount(m, s) || inner.F != f)
            throw new ArgumentException(
                $"The inner rule must be built for ({BucketCount(m, s)}, {f}); it was built for ({inner.M}, {inner.F}).", nameof(inner));
        S = s;
        Seed = seed;
        SIsDefault = sIsDefault;
        _inner = inner;
        _perm = new int[m];
        _w = new double[inner.M * m];
    }

    /// <summary>Bucket size s.</summary>
    public int S { get; }

    /// <summary>Seed of the permutation stream.</summary>
    public int Seed { get; }

    private bool SIsDefault { get; }

    /// <summary>The inner rule A.</summary>
    public IAggregator Inner => _inner;

    internal override bool HasState => true;

    /// <summary>Its own slot (the call number), then the inner rule's (pre-order).</summary>
    internal override void BindState(AggregatorState state, ref int next)
    {
        _slot = state[next++];
        _inner.BindState(state, ref next);
    }

    /// <summary>The permutation of call <paramref name="call"/>: <paramref name="perm"/> (0..m−1) shuffled by the call's stream.</summary>
    internal static void Permutation(int seed, long call, int[] perm)
    {
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        Rules.CoordinateSampler.CallRandom(seed, call).Shuffle(perm);
    }

    /// <inheritdoc />
    public override string Spec => SIsDefault ? $"bucketing({_inner.Spec})" : $"bucketing(s={S},{_inner.Spec})";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int d = output.Length, k = _inner.M;
        Permutation(Seed, _slot.Counter, _perm);
        Array.Clear(_w);
        for (int b = 0; b < k; b++)
        {
            int lo = b * S, hi = Math.Min(M, lo + S);
            for (int j = lo; j < hi; j++) _w[b * M + _perm[j]] = 1.0 / (hi - lo);
        }
        if (S == 1)
        {
            // A bucket of one is that input: pass the inputs, permuted, by reference (no m·d copy).
            var view = new float[k][];
            for (int b = 0; b < k; b++) view[b] = inputs[_perm[b]];
            AggregationReport single;
            try
            {
                single = _inner.AggregateCore(view, output, checkFinite);
            }
            catch (ArgumentException) when (checkFinite)
            {
                NonFinite.ThrowIfAny(inputs, d); // name the input, not its bucket
                throw;
            }
            _slot.Counter++; // the call is done (as DnC's: a call that throws does not move the stream)
            return new AggregationReport(Members(single.Suspects), Members(single.Selected));
        }
        AggregationReport inner;
        if (_inner.IsCoordinateWise)
        {
            // Block by block of coordinates: the k bucket means of one block (k × block floats of reusable scratch,
            // not k·d), then A into the output's block. Per coordinate the same arithmetic as one whole pass.
            int block = Math.Min(d, CoordinateBlock(k));
            EnsureScratch(block, k);
            inner = AggregationReport.None;
            for (int b = 0; b < d; b += block)
            {
                int n = Math.Min(block, d - b);
                if (!LinearKernels.Combine(inputs, _w, k, _meansAddr, n, Scratch, start: b) && checkFinite)
                    FailNonFinite(inputs, d, "A bucket mean");
                inner = _inner.AggregateCore(_means, output.Slice(b, n), checkFinite: false);
            }
        }
        else
        {
            // A needs the k bucket means at once: rows rented from the shared pool for this call.
            var means = new float[k][];
            var addr = new nint[k];
            VectorPool.Rent(k, d, means, addr);
            try
            {
                if (!LinearKernels.Combine(inputs, _w, k, addr, d, Scratch) && checkFinite)
                    FailNonFinite(inputs, d, "A bucket mean");
                inner = _inner.AggregateCore(means, output, checkFinite: false);
            }
            finally
            {
                VectorPool.Return(means, k);
            }
        }
        _slot.Counter++;
        return new AggregationReport(Members(inner.Suspects), Members(inner.Selected));
    }

    private int[] Members(IReadOnlyList<int> buckets)
    {
        var r = new List<int>();
        foreach (int b in buckets)
            for (int j = b * S; j < Math.Min(M, b * S + S); j++) r.Add(_perm[j]);
        r.Sort();
        return r.ToArray();
    }

    private unsafe void EnsureScratch(int d, int k)
    {
        if (_means.Length == k && _means[0].Length >= d) return;
        _means = new float[k][];
        _meansAddr = new nint[k];
        for (int i = 0; i < k; i++)
        {
            _means[i] = GC.AllocateUninitializedArray<float>(d, pinned: true);
            _meansAddr[i] = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _means[i][0]);
        }
    }
}
