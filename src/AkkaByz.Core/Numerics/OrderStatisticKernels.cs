using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

namespace AkkaByz.Core.Numerics;

/// <summary>
/// Coordinate-wise order statistics: output[c] = mean of the sorted values at ranks lo..hi (inclusive) of
/// {rows[i][c]}. The median (lo = ⌊(m−1)/2⌋, hi = ⌊m/2⌋) and the f-trimmed mean (lo = f, hi = m−f−1) are special
/// cases.
/// <para>
/// Fast path (m ≤ <see cref="MaxNetworkRows"/>): coordinates are processed in blocks of B (chosen so the m × B tile
/// is ~32 KiB and stays in L1); each block of every row is copied into the tile, and a branch-free SIMD sorting
/// network (<see cref="SortingNetwork"/>) sorts every column at once: comparator (a, b) is a Vector.Min / Vector.Max
/// over rows a and b, so each SIMD lane is one coordinate. Larger m falls back to sorting each coordinate's column.
/// Parallel over coordinate chunks. The tile copy also checks finiteness (fused, no extra pass).
/// </para>
/// </summary>
public static unsafe class OrderStatisticKernels
{
    /// <summary>Largest m sorted with the SIMD network; beyond it, per-coordinate sorting.</summary>
    public const int MaxNetworkRows = 128;

    /// <summary>
    /// output[c] = mean of ranks lo..hi of column c. Returns false when some input value is non-finite (the output is
    /// then unspecified).
    /// </summary>
    public static bool RankMean(IReadOnlyList<float[]> rows, int lo, int hi, Span<float> output, KernelScratch scratch,
        bool forceScalarColumns = false)
    {
        int m = rows.Count, d = output.Length;
        if (m == 0) throw new ArgumentException("No rows.", nameof(rows));
        if (lo < 0 || hi >= m || lo > hi)
            throw new ArgumentOutOfRangeException(nameof(lo), $"Ranks {lo}..{hi} are not within 0..{m - 1}.");
        bool network = m <= MaxNetworkRows && !forceScalarColumns && Vector.IsHardwareAccelerated;
        int block = TileBlock(m);
        var comps = network ? SortingNetwork.ForRanks(m, lo, hi) : Array.Empty<(int, int)>();
        return ForEachTile(rows, output, block, scratch, (chunk, tile, n, dst) =>
        {
            if (network) NetworkBlock(tile, block, m, n, comps, lo, hi, dst, scratch.Doubles(chunk, block));
            else ColumnBlock(tile, block, m, n, lo, hi, dst);
        });
    }

    /// <summary>Body of <see cref="ForEachTile"/> for one block: the chunk index (for its scratch), the loaded m × block
    /// tile, the block's coordinate count and its slice of the output.</summary>
    private delegate void TileBody(int chunk, float[] tile, int n, Span<float> dst);

    /// <summary>
    /// The driver shared by the coordinate-wise kernels: coordinates in parallel chunks, each chunk in blocks of
    /// <paramref name="block"/>; every block of every row is copied into the chunk's tile (checking finiteness on the
    /// way) and handed to <paramref name="body"/> with the block's output slice. Returns false when some input value
    /// is non-finite.
    /// </summary>
    private static bool ForEachTile(IReadOnlyList<float[]> rows, Span<float> output, int block, KernelScratch scratch, TileBody body)
    {
        int m = rows.Count, d = output.Length;
        int chunks = ParallelChunks.Count(d, (long)m * d * 4, block);
        int bad = 0;
        fixed (float* op = output)
        {
            nint outp = (nint)op;
            ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
            {
                var (start, len) = ParallelChunks.Range(d, chunks, chunk, block);
                var tile = scratch.Floats(chunk, m * block + m);
                bool ok = true;
                int end = start + len;
                for (int b = start; b < end; b += block)
                {
                    int n = Math.Min(block, end - b);
                    ok &= LoadTile(rows, b, n, tile, block);
                    body(chunk, tile, n, new Span<float>((float*)outp + b, n));
                }
                if (!ok) Volatile.Write(ref bad, 1);
            });
        }
        return bad == 0;
    }

    /// <summary>Tests set this to exercise the table-driven network where the unrolled one would run.</summary>
    internal static bool ForceGenericNetwork;

    /// <summary>Network lanes per step: 16 with AVX-512 (Vector512), else Vector&lt;float&gt;.Count.</summary>
    private static readonly int LaneGroup = Vector512.IsHardwareAccelerated ? 16 : Vector<float>.Count;

    /// <summary>Tile width: m·B floats ≈ 32 KiB, a multiple of the vector width.</summary>
    internal static int TileBlock(int m)
    {
        int w = LaneGroup;
        int b = 8192 / Math.Max(1, m);
        b -= b % w;
        return Math.Max(2 * w, b);
    }

    /// <summary>Copies rows[i][b..b+n) into tile row i (stride <paramref name="stride"/>), zero-pads to the vector
    /// width, and returns whether all copied values are finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool LoadTile(IReadOnlyList<float[]> rows, int b, int n, float[] tile, int stride)
    {
        int w = Vector<float>.Count;
        int padded = (n + LaneGroup - 1) / LaneGroup * LaneGroup;
        var okv = Vector<int>.AllBitsSet;
        bool ok = true;
        for (int i = 0; i < rows.Count; i++)
        {
            var src = rows[i].AsSpan(b, n);
            var dst = tile.AsSpan(i * stride, padded);
            src.CopyTo(dst);
            if (padded > n) dst[n..].Clear();
            ref float dr = ref MemoryMarshal.GetReference(dst);
            int j = 0;
            for (; j + w <= padded; j += w)
            {
                var v = Vector.LoadUnsafe(ref dr, (nuint)j);
                okv &= Vector.Equals(v - v, Vector<float>.Zero);
            }
            for (; j < n; j++) ok &= float.IsFinite(dst[j]);
        }
        return ok && Vector.EqualsAll(okv, Vector<int>.AllBitsSet);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NetworkBlock(float[] tile, int stride, int m, int n, (int Lo, int Hi)[] comps, int lo, int hi,
        Span<float> dst, double[] acc)
    {
        int w = Vector<float>.Count;
        ref float t = ref MemoryArrayRef(tile);
        SortTile(tile, stride, m, n, comps);
        if (lo == hi)
        {
            tile.AsSpan(lo * stride, n).CopyTo(dst);
        }
        else if (hi == lo + 1)
        {
            var half = new Vector<float>(0.5f);
            int j = 0;
            ref float dr = ref MemoryMarshal.GetReference(dst);
            for (; j + w <= n; j += w)
            {
                var x = Vector.LoadUnsafe(ref t, (nuint)(lo * stride + j));
                var y = Vector.LoadUnsafe(ref t, (nuint)(hi * stride + j));
                Vector.StoreUnsafe(x * half + y * half, ref dr, (nuint)j);
            }
            for (; j < n; j++) dst[j] = tile[lo * stride + j] * 0.5f + tile[hi * stride + j] * 0.5f;
        }
        else
        {
            var a = acc.AsSpan(0, n);
            a.Clear();
            double inv = 1.0 / (hi - lo + 1);
            for (int r = lo; r <= hi; r++) LinearKernels.Axpy(a, inv, tile.AsSpan(r * stride, n));
            LinearKernels.NarrowStore(a, dst);
        }
    }

    /// <summary>Runs the sorting network over every column of the tile (unrolled in registers when available).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SortTile(float[] tile, int stride, int m, int n, (int Lo, int Hi)[] comps)
    {
        int w = Vector<float>.Count;
        int padded = (n + LaneGroup - 1) / LaneGroup * LaneGroup;
        ref float t = ref MemoryArrayRef(tile);
        if (Vector512.IsHardwareAccelerated && !ForceGenericNetwork && UnrolledNetworks.TrySort(m, ref t, (nuint)stride, padded))
        {
            // sorted in registers
        }
        else if (Vector512.IsHardwareAccelerated)
        {
            foreach (var (a, c) in comps)
            {
                nuint ra = (nuint)(a * stride), rc = (nuint)(c * stride);
                for (int j = 0; j < padded; j += 16)
                {
                    var x = Vector512.LoadUnsafe(ref t, ra + (nuint)j);
                    var y = Vector512.LoadUnsafe(ref t, rc + (nuint)j);
                    Vector512.StoreUnsafe(Vector512.MinNative(x, y), ref t, ra + (nuint)j);
                    Vector512.StoreUnsafe(Vector512.MaxNative(x, y), ref t, rc + (nuint)j);
                }
            }
        }
        else
        {
            foreach (var (a, c) in comps)
            {
                nuint ra = (nuint)(a * stride), rc = (nuint)(c * stride);
                for (int j = 0; j < padded; j += w)
                {
                    var x = Vector.LoadUnsafe(ref t, ra + (nuint)j);
                    var y = Vector.LoadUnsafe(ref t, rc + (nuint)j);
                    Vector.StoreUnsafe(Vector.MinNative(x, y), ref t, ra + (nuint)j);
                    Vector.StoreUnsafe(Vector.MaxNative(x, y), ref t, rc + (nuint)j);
                }
            }
        }
    }

    /// <summary>
    /// output[c] = mean of the k values of column c closest to the column's median (MeaMed; Bulyan's second stage):
    /// med = the median (for even m the mean of the two middle values); the k closest form a window of k consecutive
    /// sorted values, the window s..s+k−1 (0 ≤ s ≤ m − k) minimising max(med − v_s, v_{s+k−1} − med), the lowest s on a
    /// tie (so equidistant values are taken from below). Needs 1 ≤ k ≤ m. Same tiles and sorting network as
    /// <see cref="RankMean"/> (full network), then per lane group: m − k + 1 window costs, branch-free selects of the
    /// best s, and one masked double accumulation over the m sorted rows. Returns false when some input is non-finite.
    /// </summary>
    public static bool ClosestToMedianMean(IReadOnlyList<float[]> rows, int k, Span<float> output, KernelScratch scratch,
        bool forceScalarColumns = false)
    {
        int m = rows.Count, d = output.Length;
        if (m == 0) throw new ArgumentException("No rows.", nameof(rows));
        if (k < 1 || k > m) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} is not within 1..{m}.");
        bool network = m <= MaxNetworkRows && !forceScalarColumns && Vector.IsHardwareAccelerated;
        int block = TileBlock(m);
        var comps = network ? SortingNetwork.For(m) : Array.Empty<(int, int)>();
        return ForEachTile(rows, output, block, scratch, (_, tile, n, dst) =>
        {
            if (network)
            {
                SortTile(tile, block, m, n, comps);
                WindowBlock(tile, block, m, n, k, dst);
            }
            else WindowColumns(tile, block, m, n, k, dst);
        });
    }

    /// <summary>The closest-k window mean over a sorted tile, 16 coordinates per step (AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WindowBlock512(float[] tile, int stride, int m, int n, int k, Span<float> dst)
    {
        ref float t = ref MemoryArrayRef(tile);
        ref float dr = ref MemoryMarshal.GetReference(dst);
        var half = Vector512.Create(0.5f);
        var inv = Vector512.Create(1.0 / k);
        int lastStart = m - k;
        for (int j = 0; j < n; j += 16)
        {
            nuint o = (nuint)j;
            var med = (m & 1) == 1
                ? Vector512.LoadUnsafe(ref t, (nuint)((m - 1) / 2 * stride) + o)
                : Vector512.LoadUnsafe(ref t, (nuint)((m / 2 - 1) * stride) + o) * half + Vector512.LoadUnsafe(ref t, (nuint)(m / 2 * stride) + o) * half;
            var bestCost = Vector512.Create(float.PositiveInfinity);
            var bestS = Vector512<int>.Zero;
            for (int st = 0; st <= lastStart; st++)
            {
                var lo = Vector512.LoadUnsafe(ref t, (nuint)(st * stride) + o);
                var hi = Vector512.LoadUnsafe(ref t, (nuint)((st + k - 1) * stride) + o);
                var cost = Vector512.Max(med - lo, hi - med);
                var better = Vector512.LessThan(cost, bestCost);
                bestCost = Vector512.ConditionalSelect(better, cost, bestCost);
                bestS = Vector512.ConditionalSelect(better.AsInt32(), Vector512.Create(st), bestS);
            }
            Vector512<double> a0 = default, a1 = default;
            for (int r = 0; r < m; r++)
            {
                var v = Vector512.LoadUnsafe(ref t, (nuint)(r * stride) + o);
                // row r is in window s iff s ≤ r (can fail only when r < lastStart) and s > r − k (only when r ≥ k)
                if (r < lastStart) v = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(bestS, Vector512.Create(r)).AsSingle(), v, Vector512<float>.Zero);
                if (r >= k) v = Vector512.ConditionalSelect(Vector512.GreaterThan(bestS, Vector512.Create(r - k)).AsSingle(), v, Vector512<float>.Zero);
                var (vl, vh) = Vector512.Widen(v);
                a0 += vl;
                a1 += vh;
            }
            var res = Vector512.Narrow(a0 * inv, a1 * inv);
            if (j + 16 <= n) Vector512.StoreUnsafe(res, ref dr, o);
            else for (int q = 0; q < n - j; q++) dst[j + q] = res[q];
        }
    }

    /// <summary>The closest-k window mean over a sorted tile, SIMD across coordinates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WindowBlock(float[] tile, int stride, int m, int n, int k, Span<float> dst)
    {
        if (Vector512.IsHardwareAccelerated) { WindowBlock512(tile, stride, m, n, k, dst); return; }
        int w = Vector<float>.Count;
        ref float t = ref MemoryArrayRef(tile);
        ref float dr = ref MemoryMarshal.GetReference(dst);
        var half = new Vector<float>(0.5f);
        var inv = new Vector<double>(1.0 / k);
        int lastStart = m - k;
        int j = 0;
        for (; j < n; j += w)
        {
            nuint o = (nuint)j;
            var med = (m & 1) == 1
                ? Vector.LoadUnsafe(ref t, (nuint)((m - 1) / 2 * stride) + o)
                : Vector.LoadUnsafe(ref t, (nuint)((m / 2 - 1) * stride) + o) * half + Vector.LoadUnsafe(ref t, (nuint)(m / 2 * stride) + o) * half;
            var bestCost = new Vector<float>(float.PositiveInfinity);
            var bestS = Vector<int>.Zero;
            for (int st = 0; st <= lastStart; st++)
            {
                var lo = Vector.LoadUnsafe(ref t, (nuint)(st * stride) + o);
                var hi = Vector.LoadUnsafe(ref t, (nuint)((st + k - 1) * stride) + o);
                var cost = Vector.Max(med - lo, hi - med);
                var better = Vector.LessThan(cost, bestCost);
                bestCost = Vector.ConditionalSelect(better, cost, bestCost);
                bestS = Vector.ConditionalSelect(better, new Vector<int>(st), bestS);
            }
            Vector<double> a0 = default, a1 = default;
            for (int r = 0; r < m; r++)
            {
                var v = Vector.LoadUnsafe(ref t, (nuint)(r * stride) + o);
                // row r is in window s iff s ≤ r (can fail only when r < lastStart) and s > r − k (only when r ≥ k)
                if (r < lastStart) v = Vector.ConditionalSelect(Vector.LessThanOrEqual(bestS, new Vector<int>(r)), v, Vector<float>.Zero);
                if (r >= k) v = Vector.ConditionalSelect(Vector.GreaterThan(bestS, new Vector<int>(r - k)), v, Vector<float>.Zero);
                Vector.Widen(v, out Vector<double> vl, out Vector<double> vh);
                a0 += vl;
                a1 += vh;
            }
            var res = Vector.Narrow(a0 * inv, a1 * inv);
            if (j + w <= n) Vector.StoreUnsafe(res, ref dr, o);
            else for (int q = 0; q < n - j; q++) dst[j + q] = res[q];
        }
    }

    /// <summary>Fallback for large m: sort each column, take the closest-k window (same rule as the SIMD path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WindowColumns(float[] tile, int stride, int m, int n, int k, Span<float> dst)
    {
        Span<float> col = m <= 1024 ? stackalloc float[m] : new float[m];
        for (int c = 0; c < n; c++)
        {
            for (int i = 0; i < m; i++) col[i] = tile[i * stride + c];
            col.Sort();
            float med = (m & 1) == 1 ? col[(m - 1) / 2] : col[m / 2 - 1] * 0.5f + col[m / 2] * 0.5f;
            int best = 0;
            float bestCost = float.PositiveInfinity;
            for (int st = 0; st <= m - k; st++)
            {
                float cost = Math.Max(med - col[st], col[st + k - 1] - med);
                if (cost < bestCost) { bestCost = cost; best = st; }
            }
            double sum = 0;
            for (int r = best; r < best + k; r++) sum += col[r];
            dst[c] = (float)(sum * (1.0 / k));
        }
    }

    private static ref float MemoryArrayRef(float[] a) => ref MemoryMarshal.GetArrayDataReference(a);

    /// <summary>Fallback for large m: gather each coordinate's column, sort it, average ranks lo..hi.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnBlock(float[] tile, int stride, int m, int n, int lo, int hi, Span<float> dst)
    {
        Span<float> col = m <= 1024 ? stackalloc float[m] : new float[m];
        double inv = 1.0 / (hi - lo + 1);
        for (int c = 0; c < n; c++)
        {
            for (int i = 0; i < m; i++) col[i] = tile[i * stride + c];
            col.Sort();
            if (lo == hi) { dst[c] = col[lo]; continue; }
            double s = 0;
            for (int r = lo; r <= hi; r++) s += col[r];
            dst[c] = (float)(s * inv);
        }
    }
}
