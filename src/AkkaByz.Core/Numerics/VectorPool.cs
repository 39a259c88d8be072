using System.Runtime.CompilerServices;

namespace AkkaByz.Core.Numerics;

/// <summary>
/// Process-wide pool of the d-length float32 rows that some meta-rules must materialise whole (NNM's mixed vectors and
/// bucketing's bucket means under an inner rule that is not coordinate-wise, clipping's scaled copies): a call rents
/// its rows, the inner rule runs, and the call returns them, so an instance holds no m·d buffer between calls, and
/// every instance (any spec, any m) reuses the same rows instead of keeping its own. Rows are pinned (the kernels
/// write them through addresses) and of exact length (a rented row has exactly the requested length). Returned rows
/// are kept for the next call; a request that finds no free row of its length first drops the free rows of other
/// lengths (a change of d does not keep stale memory). Thread-safe; at most as many rows are kept as were in use at
/// once.
/// </summary>
internal static class VectorPool
{
    private static readonly object Gate = new();
    private static readonly List<float[]> Free = [];
    private static long _retained;

    /// <summary>Bytes held by free (returned) rows.</summary>
    public static long RetainedBytes
    {
        get { lock (Gate) return _retained; }
    }

    /// <summary>
    /// Fills <paramref name="rows"/>[0..count) with rows of exactly <paramref name="length"/> floats (contents
    /// undefined) and <paramref name="addresses"/> with their addresses.
    /// </summary>
    public static unsafe void Rent(int count, int length, float[][] rows, nint[] addresses)
    {
        int got = 0;
        lock (Gate)
        {
            for (int i = Free.Count - 1; i >= 0 && got < count; i--)
            {
                if (Free[i].Length != length) continue;
                rows[got++] = Free[i];
                _retained -= 4L * length;
                Free.RemoveAt(i);
            }
            if (got < count && Free.Count > 0)
            {
                // Nothing else of this length is free: let the other lengths go before allocating.
                Free.RemoveAll(r => r.Length != length);
                _retained = 4L * Free.Sum(r => (long)r.Length);
            }
        }
        for (int i = got; i < count; i++) rows[i] = GC.AllocateUninitializedArray<float>(length, pinned: true);
        for (int i = 0; i < count; i++)
            addresses[i] = length == 0 ? 0 : (nint)Unsafe.AsPointer(ref rows[i][0]);
    }

    /// <summary>Returns rows[0..count) to the pool and clears those entries.</summary>
    public static void Return(float[][] rows, int count)
    {
        lock (Gate)
        {
            for (int i = 0; i < count; i++)
            {
                if (rows[i] is not { } r) continue;
                Free.Add(r);
                _retained += 4L * r.Length;
                rows[i] = null!;
            }
        }
    }

    /// <summary>Drops every free row (their memory goes back to the GC); rows in use are unaffected.</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Free.Clear();
            _retained = 0;
        }
    }
}
