using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

namespace AkkaByz.Core.Numerics;

/// <summary>
/// Squared Euclidean distances, computed directly as Σ (x − y)² in double (not through the Gram identity
/// ‖x‖² + ‖y‖² − 2⟨x, y⟩, which cancels catastrophically when the points are close relative to their norms),
/// blocked over coordinates so each block of all m rows is read from memory once and reused from cache for all
/// pairs, parallel over coordinate chunks with per-chunk partial sums reduced in chunk order (deterministic).
/// Pairwise distances widen the inputs to double before subtracting, so finite inputs always give finite distances
/// and a non-finite result means a non-finite input (the kernels' fused finiteness check). Distances to an anchor
/// subtract in float (one rounding, half the conversions); a difference beyond float range (|values| &gt; 1.7e38)
/// gives +∞, which still ranks the input as farthest.
/// </summary>
public static unsafe class DistanceKernels
{
    /// <summary>Coordinates per block for distances to one anchor.</summary>
    internal const int AnchorBlock = 1024;

    /// <summary>
    /// result[i] = ‖rows[i] − anchor‖² over anchor.Length coordinates. Returns false when some result is non-finite.
    /// </summary>
    public static bool SquaredDistancesTo(IReadOnlyList<float[]> rows, ReadOnlySpan<float> anchor, Span<double> result,
        KernelScratch scratch)
    {
        int m = rows.Count, d = anchor.Length;
        if (result.Length < m) throw new ArgumentException($"result has {result.Length} entries, need {m}.", nameof(result));
        int chunks = ParallelChunks.Count(d, (long)m * d, AnchorBlock);
        fixed (float* zp = anchor)
        {
            nint z = (nint)zp;
            ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
            {
                var (start, len) = ParallelChunks.Range(d, chunks, chunk, AnchorBlock);
                var partial = scratch.Partial(chunk, m);
                int end = start + len;
                for (int b = start; b < end; b += AnchorBlock)
                {
                    int n = Math.Min(AnchorBlock, end - b);
                    var zb = new ReadOnlySpan<float>((float*)z + b, n);
                    for (int i = 0; i < m; i++) partial[i] += SumSquaredDiff(rows[i].AsSpan(b, n), zb);
                }
            });
        }
        return scratch.SumPartials(chunks, result[..m]);
    }

    /// <summary>
    /// result[i] = ‖z − rows[i]‖² for the convex (or any linear) combination z = Σ_j weights[j] · rows[j], without
    /// storing z: per block of coordinates, z's block is accumulated in double from every row with a non-zero weight,
    /// and then each row's block (now in cache) is subtracted from it in double, squared and summed. Nothing is formed
    /// as a difference of large terms, so a far input (norm 1e25) cannot spoil the distances of the near ones; one
    /// read of the input per call. Returns false when some result is non-finite (for finite inputs it never is).
    /// </summary>
    public static bool SquaredDistancesToCombination(IReadOnlyList<float[]> rows, ReadOnlySpan<double> weights, int d,
        Span<double> result, KernelScratch scratch)
    {
        int m = rows.Count;
        if (weights.Length != m) throw new ArgumentException($"weights has {weights.Length} entries, need {m}.", nameof(weights));
        if (result.Length < m) throw new ArgumentException($"result has {result.Length} entries, need {m}.", nameof(result));
        var w = weights.ToArray();
        int block = CombinationBlock(m);
        int chunks = ParallelChunks.Count(d, 2L * m * d, block);
        if (Vector512.IsHardwareAccelerated && m <= 256)
        {
            var arr = rows as float[][] ?? rows.ToArray();
            var nz = Enumerable.Range(0, m).Where(j => w[j] != 0).ToArray();
            var nzw = nz.Select(j => w[j]).ToArray();
            ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
            {
                var (start, len) = ParallelChunks.Range(d, chunks, chunk, block);
                var partial = scratch.Partial(chunk, m);
                CombinationDistances512(arr, nz, nzw, start, start + len, partial);
            });
        }
        else ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
        {
            var (start, len) = ParallelChunks.Range(d, chunks, chunk, block);
            var partial = scratch.Partial(chunk, m);
            var z = scratch.Doubles(chunk, block);
            int end = start + len;
            for (int b = start; b < end; b += block)
            {
                int n = Math.Min(block, end - b);
                var zb = z.AsSpan(0, n);
                zb.Clear();
                for (int j = 0; j < m; j++)
                    if (w[j] != 0) LinearKernels.Axpy(zb, w[j], rows[j].AsSpan(b, n));
                for (int i = 0; i < m; i++) partial[i] += SumSquaredDiff(zb, rows[i].AsSpan(b, n));
            }
        });
        return scratch.SumPartials(chunks, result[..m]);
    }

    /// <summary>
    /// AVX-512 body of <see cref="SquaredDistancesToCombination"/> over coordinates [start, end): per 64-byte line,
    /// z's 16 coordinates are accumulated in two double registers from the weighted rows, then every row's same line
    /// (just read, in L1) is subtracted from them and squared into that row's register-sized accumulator (kept in a
    /// small stack array); z never leaves registers. partial[i] += ‖z − x_i‖² over the range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CombinationDistances512(float[][] rows, int[] nz, double[] nzw, int start, int end, double[] partial)
    {
        int m = rows.Length, j = start;
        Span<Vector512<double>> acc = stackalloc Vector512<double>[m];
        acc.Clear();
        for (; j + 16 <= end; j += 16)
        {
            nuint off = (nuint)j;
            Vector512<double> z0 = default, z1 = default;
            for (int t = 0; t < nz.Length; t++)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(rows[nz[t]]), off));
                var wv = Vector512.Create(nzw[t]);
                z0 = Vector512.FusedMultiplyAdd(lo, wv, z0);
                z1 = Vector512.FusedMultiplyAdd(hi, wv, z1);
            }
            for (int i = 0; i < m; i++)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(rows[i]), off));
                var d0 = z0 - lo;
                var d1 = z1 - hi;
                acc[i] = Vector512.FusedMultiplyAdd(d0, d0, Vector512.FusedMultiplyAdd(d1, d1, acc[i]));
            }
        }
        for (int i = 0; i < m; i++) partial[i] += Vector512.Sum(acc[i]);
        for (; j < end; j++)
        {
            double z = 0;
            for (int t = 0; t < nz.Length; t++) z += nzw[t] * rows[nz[t]][j];
            for (int i = 0; i < m; i++) { double e = z - rows[i][j]; partial[i] += e * e; }
        }
    }

    /// <summary>Block of <see cref="SquaredDistancesToCombination"/>: the m rows' blocks (≈ 128 KiB) stay in L2 between
    /// the accumulation of z and the distance sweep; a multiple of 16.</summary>
    internal static int CombinationBlock(int m)
    {
        int b = 32768 / Math.Max(1, m);
        b -= b % 16;
        return Math.Max(64, Math.Min(4096, b));
    }

    /// <summary>Σ_j (z_j − x_j)² with z in double: x widened, subtracted, squared and summed in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumSquaredDiff(ReadOnlySpan<double> z, ReadOnlySpan<float> x)
    {
        int n = x.Length, j = 0;
        double s = 0;
        ref double zr = ref MemoryMarshal.GetReference(z);
        ref float xr = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<double> a0 = default, a1 = default;
            for (; j + 16 <= n; j += 16)
            {
                var (xl, xh) = Vector512.Widen(Vector512.LoadUnsafe(ref xr, (nuint)j));
                var d0 = Vector512.LoadUnsafe(ref zr, (nuint)j) - xl;
                var d1 = Vector512.LoadUnsafe(ref zr, (nuint)(j + 8)) - xh;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            int wf = Vector<float>.Count, wd = Vector<double>.Count;
            Vector<double> a0 = default, a1 = default;
            for (; j + wf <= n; j += wf)
            {
                Vector.Widen(Vector.LoadUnsafe(ref xr, (nuint)j), out Vector<double> xl, out Vector<double> xh);
                var d0 = Vector.LoadUnsafe(ref zr, (nuint)j) - xl;
                var d1 = Vector.LoadUnsafe(ref zr, (nuint)(j + wd)) - xh;
                a0 = Vector.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector.FusedMultiplyAdd(d1, d1, a1);
            }
            s = Vector.Sum(a0 + a1);
        }
        for (; j < n; j++) { double t = z[j] - x[j]; s += t * t; }
        return s;
    }

    /// <summary>result[i] = ‖rows[i]‖² over the first d coordinates, in double. Returns false when some result is
    /// non-finite (for finite inputs it never is).</summary>
    public static bool SquaredNorms(IReadOnlyList<float[]> rows, int d, Span<double> result, KernelScratch scratch)
    {
        int m = rows.Count;
        if (result.Length < m) throw new ArgumentException($"result has {result.Length} entries, need {m}.", nameof(result));
        int chunks = ParallelChunks.Count(d, (long)m * d, AnchorBlock);
        ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
        {
            var (start, len) = ParallelChunks.Range(d, chunks, chunk, AnchorBlock);
            var partial = scratch.Partial(chunk, m);
            int end = start + len;
            for (int b = start; b < end; b += AnchorBlock)
            {
                int n = Math.Min(AnchorBlock, end - b);
                for (int i = 0; i < m; i++) partial[i] += SumSquares(rows[i].AsSpan(b, n));
            }
        });
        return scratch.SumPartials(chunks, result[..m]);
    }

    /// <summary>Σ_j x_j², widened to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumSquares(ReadOnlySpan<float> x)
    {
        int n = x.Length, j = 0;
        double s = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<double> a0 = default, a1 = default;
            for (; j + 16 <= n; j += 16)
            {
                var (l, h) = Vector512.Widen(Vector512.LoadUnsafe(ref xr, (nuint)j));
                a0 = Vector512.FusedMultiplyAdd(l, l, a0);
                a1 = Vector512.FusedMultiplyAdd(h, h, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            int wf = Vector<float>.Count;
            Vector<double> a0 = default, a1 = default;
            for (; j + wf <= n; j += wf)
            {
                Vector.Widen(Vector.LoadUnsafe(ref xr, (nuint)j), out Vector<double> l, out Vector<double> h);
                a0 = Vector.FusedMultiplyAdd(l, l, a0);
                a1 = Vector.FusedMultiplyAdd(h, h, a1);
            }
            s = Vector.Sum(a0 + a1);
        }
        for (; j < n; j++) s += (double)x[j] * x[j];
        return s;
    }

    /// <summary>Σ_j (x_j − y_j)²: differences in float, squares and sums in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumSquaredDiff(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int n = x.Length, j = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            Vector512<double> a0 = default, a1 = default;
            for (; j + 16 <= n; j += 16)
            {
                var diff = Vector512.LoadUnsafe(ref xr, (nuint)j) - Vector512.LoadUnsafe(ref yr, (nuint)j);
                var (dl, dh) = Vector512.Widen(diff);
                a0 = Vector512.FusedMultiplyAdd(dl, dl, a0);
                a1 = Vector512.FusedMultiplyAdd(dh, dh, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            int wf = Vector<float>.Count;
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            Vector<double> a0 = default, a1 = default;
            for (; j + wf <= n; j += wf)
            {
                // The difference in float (one rounding; overflows to ∞ only for |values| > 1.7e38, which then
                // ranks as "very far"), squared and summed in double.
                var diff = Vector.LoadUnsafe(ref xr, (nuint)j) - Vector.LoadUnsafe(ref yr, (nuint)j);
                Vector.Widen(diff, out Vector<double> dl, out Vector<double> dh);
                a0 = Vector.FusedMultiplyAdd(dl, dl, a0);
                a1 = Vector.FusedMultiplyAdd(dh, dh, a1);
            }
            s = Vector.Sum(a0 + a1);
        }
        for (; j < n; j++) { double t = x[j] - y[j]; s += t * t; }
        return s;
    }

    /// <summary>
    /// The m×m matrix of squared pairwise distances (row-major in <paramref name="result"/>, zero diagonal,
    /// symmetric). Each coordinate block of all rows is widened once into a double tile (in L1/L2) and every pair is
    /// accumulated from the tile. Returns false when some distance is non-finite.
    /// </summary>
    public static bool PairwiseSquaredDistances(IReadOnlyList<float[]> rows, int d, Span<double> result,
        KernelScratch scratch)
    {
        int m = rows.Count;
        if (result.Length < m * m) throw new ArgumentException($"result has {result.Length} entries, need {m * m}.", nameof(result));
        int block = PairBlock(m);
        int chunks = ParallelChunks.Count(d, (long)m * m * d / 4, block);
        ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
        {
            var (start, len) = ParallelChunks.Range(d, chunks, chunk, block);
            var partial = scratch.Partial(chunk, m * m);
            var tile = scratch.Doubles(chunk, m * block);
            int end = start + len;
            for (int b = start; b < end; b += block)
            {
                int n = Math.Min(block, end - b);
                for (int i = 0; i < m; i++) Widen(rows[i].AsSpan(b, n), tile.AsSpan(i * block, n));
                for (int i = 0; i < m; i++)
                {
                    var ti = new ReadOnlySpan<double>(tile, i * block, n);
                    int j = i + 1;
                    if (Vector512.IsHardwareAccelerated)
                    {
                        for (; j + 3 < m; j += 4)
                        {
                            SumSquaredDiff4(ti, new ReadOnlySpan<double>(tile, j * block, n),
                                new ReadOnlySpan<double>(tile, (j + 1) * block, n),
                                new ReadOnlySpan<double>(tile, (j + 2) * block, n),
                                new ReadOnlySpan<double>(tile, (j + 3) * block, n), out var s0, out var s1, out var s2, out var s3);
                            partial[i * m + j] += s0;
                            partial[i * m + j + 1] += s1;
                            partial[i * m + j + 2] += s2;
                            partial[i * m + j + 3] += s3;
                        }
                    }
                    for (; j + 1 < m; j += 2)
                    {
                        SumSquaredDiff2(ti, new ReadOnlySpan<double>(tile, j * block, n),
                            new ReadOnlySpan<double>(tile, (j + 1) * block, n), out double s0, out double s1);
                        partial[i * m + j] += s0;
                        partial[i * m + j + 1] += s1;
                    }
                    for (; j < m; j++) partial[i * m + j] += SumSquaredDiff(ti, new ReadOnlySpan<double>(tile, j * block, n));
                }
            }
        });
        bool ok = true;
        for (int i = 0; i < m; i++)
        {
            result[i * m + i] = 0;
            for (int j = i + 1; j < m; j++)
            {
                double s = 0;
                for (int c = 0; c < chunks; c++) s += scratch.PartialNoClear(c)[i * m + j];
                result[i * m + j] = s;
                result[j * m + i] = s;
                ok &= double.IsFinite(s);
            }
        }
        return ok;
    }

    /// <summary>Pair block: the double tile m × block stays within ~48 KiB, a multiple of the vector width.</summary>
    internal static int PairBlock(int m)
    {
        int w = Vector<float>.Count;
        int b = 6144 / Math.Max(1, m);
        b -= b % w;
        return Math.Max(4 * w, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen(ReadOnlySpan<float> src, Span<double> dst)
    {
        int n = src.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int wf = Vector<float>.Count, wd = Vector<double>.Count;
            ref float sr = ref MemoryMarshal.GetReference(src);
            ref double dr = ref MemoryMarshal.GetReference(dst);
            for (; j + wf <= n; j += wf)
            {
                Vector.Widen(Vector.LoadUnsafe(ref sr, (nuint)j), out Vector<double> lo, out Vector<double> hi);
                Vector.StoreUnsafe(lo, ref dr, (nuint)j);
                Vector.StoreUnsafe(hi, ref dr, (nuint)(j + wd));
            }
        }
        for (; j < n; j++) dst[j] = src[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumSquaredDiff(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length, j = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int wd = Vector<double>.Count;
            ref double xr = ref MemoryMarshal.GetReference(x);
            ref double yr = ref MemoryMarshal.GetReference(y);
            Vector<double> a0 = default, a1 = default;
            for (; j + 2 * wd <= n; j += 2 * wd)
            {
                var d0 = Vector.LoadUnsafe(ref xr, (nuint)j) - Vector.LoadUnsafe(ref yr, (nuint)j);
                var d1 = Vector.LoadUnsafe(ref xr, (nuint)(j + wd)) - Vector.LoadUnsafe(ref yr, (nuint)(j + wd));
                a0 = Vector.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector.FusedMultiplyAdd(d1, d1, a1);
            }
            s = Vector.Sum(a0 + a1);
        }
        for (; j < n; j++) { double t = x[j] - y[j]; s += t * t; }
        return s;
    }

    /// <summary>Four pairs sharing x with AVX-512 doubles: x is loaded once per vector for all four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumSquaredDiff4(ReadOnlySpan<double> x, ReadOnlySpan<double> y0, ReadOnlySpan<double> y1,
        ReadOnlySpan<double> y2, ReadOnlySpan<double> y3, out double s0, out double s1, out double s2, out double s3)
    {
        int n = x.Length, j = 0;
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double r0 = ref MemoryMarshal.GetReference(y0);
        ref double r1 = ref MemoryMarshal.GetReference(y1);
        ref double r2 = ref MemoryMarshal.GetReference(y2);
        ref double r3 = ref MemoryMarshal.GetReference(y3);
        Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
        for (; j + 8 <= n; j += 8)
        {
            var xv = Vector512.LoadUnsafe(ref xr, (nuint)j);
            var d0 = xv - Vector512.LoadUnsafe(ref r0, (nuint)j);
            var d1 = xv - Vector512.LoadUnsafe(ref r1, (nuint)j);
            var d2 = xv - Vector512.LoadUnsafe(ref r2, (nuint)j);
            var d3 = xv - Vector512.LoadUnsafe(ref r3, (nuint)j);
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
            a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
        }
        s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
        for (; j < n; j++)
        {
            double t0 = x[j] - y0[j], t1 = x[j] - y1[j], t2 = x[j] - y2[j], t3 = x[j] - y3[j];
            s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
        }
    }

    /// <summary>Two pairs sharing x: x is loaded once per vector for both (register blocking).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumSquaredDiff2(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> z,
        out double sy, out double sz)
    {
        int n = x.Length, j = 0;
        sy = 0; sz = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int wd = Vector<double>.Count;
            ref double xr = ref MemoryMarshal.GetReference(x);
            ref double yr = ref MemoryMarshal.GetReference(y);
            ref double zr = ref MemoryMarshal.GetReference(z);
            Vector<double> a0 = default, a1 = default, b0 = default, b1 = default;
            for (; j + 2 * wd <= n; j += 2 * wd)
            {
                var x0 = Vector.LoadUnsafe(ref xr, (nuint)j);
                var x1 = Vector.LoadUnsafe(ref xr, (nuint)(j + wd));
                var d0 = x0 - Vector.LoadUnsafe(ref yr, (nuint)j);
                var d1 = x1 - Vector.LoadUnsafe(ref yr, (nuint)(j + wd));
                var e0 = x0 - Vector.LoadUnsafe(ref zr, (nuint)j);
                var e1 = x1 - Vector.LoadUnsafe(ref zr, (nuint)(j + wd));
                a0 = Vector.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector.FusedMultiplyAdd(d1, d1, a1);
                b0 = Vector.FusedMultiplyAdd(e0, e0, b0);
                b1 = Vector.FusedMultiplyAdd(e1, e1, b1);
            }
            sy = Vector.Sum(a0 + a1);
            sz = Vector.Sum(b0 + b1);
        }
        for (; j < n; j++)
        {
            double t = x[j] - y[j], u = x[j] - z[j];
            sy += t * t; sz += u * u;
        }
    }
}
