using System.Runtime.CompilerServices;
using System.Numerics;

namespace AkkaByz.Core.Numerics;

/// <summary>Locating NaN / ±Infinity in inputs (the error path of the kernels' fused finiteness checks).</summary>
public static class NonFinite
{
    /// <summary>
    /// The first (row, coordinate) of a non-finite value among the first <paramref name="d"/> coordinates of
    /// <paramref name="rows"/>, or null when all are finite.
    /// </summary>
    public static (int Row, int Index)? Find(IReadOnlyList<float[]> rows, int d)
    {
        for (int i = 0; i < rows.Count; i++)
        {
            int j = IndexOfNonFinite(rows[i].AsSpan(0, d));
            if (j >= 0) return (i, j);
        }
        return null;
    }

    /// <summary>Index of the first non-finite value in <paramref name="x"/>, or −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOfNonFinite(ReadOnlySpan<float> x)
    {
        int w = Vector<float>.Count, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j + w <= x.Length; j += w)
            {
                var v = new Vector<float>(x.Slice(j, w));
                if (!Vector.EqualsAll(v - v, Vector<float>.Zero)) break;
            }
        }
        for (; j < x.Length; j++)
            if (!float.IsFinite(x[j])) return j;
        return -1;
    }

    /// <summary>Throws the library's standard error when some input holds a non-finite value; returns otherwise.</summary>
    public static void ThrowIfAny(IReadOnlyList<float[]> rows, int d)
    {
        var hit = Find(rows, d);
        if (hit is { } h)
        {
            throw new ArgumentException(
                $"Input vector {h.Row} holds a non-finite value ({rows[h.Row][h.Index]}) at coordinate {h.Index} " +
                $"(of {d}); NaN and ±Infinity are rejected, never aggregated.", "inputs");
        }
    }
}
