namespace AkkaByz.Core.Numerics;

/// <summary>
/// Reusable per-chunk buffers for the blocked kernels. Each parallel chunk index owns its own slots, so chunks never
/// share a buffer; buffers only grow, so steady-state calls allocate nothing. One instance per aggregator instance
/// (not thread-safe across concurrent kernel calls).
/// </summary>
public sealed class KernelScratch
{
    private readonly float[][] _floats;
    private readonly double[][] _doubles;
    private readonly double[][] _partials;

    public KernelScratch()
    {
        int n = ParallelChunks.MaxChunks;
        _floats = new float[n][];
        _doubles = new double[n][];
        _partials = new double[n][];
        for (int i = 0; i < n; i++)
        {
            _floats[i] = Array.Empty<float>();
            _doubles[i] = Array.Empty<double>();
            _partials[i] = Array.Empty<double>();
        }
    }

    internal float[] Floats(int chunk, int length)
    {
        var a = _floats[chunk];
        if (a.Length < length) _floats[chunk] = a = new float[length];
        return a;
    }

    internal double[] Doubles(int chunk, int length)
    {
        var a = _doubles[chunk];
        if (a.Length < length) _doubles[chunk] = a = new double[length];
        return a;
    }

    /// <summary>A zeroed per-chunk accumulator of <paramref name="length"/> doubles (for reductions over chunks).</summary>
    internal double[] Partial(int chunk, int length)
    {
        var a = _partials[chunk];
        if (a.Length < length) _partials[chunk] = a = new double[length];
        else Array.Clear(a, 0, length);
        return a;
    }

    internal double[] PartialNoClear(int chunk) => _partials[chunk];

    /// <summary>
    /// result[i] = Σ over the first <paramref name="chunks"/> chunks of their accumulator's entry i (chunk order, so the
    /// sum is deterministic), for i &lt; result.Length. Returns false when some sum is non-finite.
    /// </summary>
    internal bool SumPartials(int chunks, Span<double> result)
    {
        bool ok = true;
        for (int i = 0; i < result.Length; i++)
        {
            double s = 0;
            for (int c = 0; c < chunks; c++) s += _partials[c][i];
            result[i] = s;
            ok &= double.IsFinite(s);
        }
        return ok;
    }
}
