namespace AkkaByz.Core.Aggregation;

/// <summary>Shape checks shared by every rule (the finiteness check is fused into the kernels).</summary>
public static class InputValidation
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the problem unless there are exactly <paramref name="m"/>
    /// non-null vectors, all of length <paramref name="d"/> ≥ 1.
    /// </summary>
    public static void ValidateShape(IReadOnlyList<float[]>? inputs, int m, int d)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != m)
            throw new ArgumentException(
                $"Expected {m} input vectors (this aggregator was built for m = {m}), got {inputs.Count}.", nameof(inputs));
        if (d == 0)
            throw new ArgumentException("The output (and so every input vector) is empty (d = 0).", "output");
        for (int i = 0; i < m; i++)
        {
            var x = inputs[i];
            if (x is null) throw new ArgumentException($"Input vector {i} is null.", nameof(inputs));
            if (x.Length != d)
                throw new ArgumentException(
                    $"Input vector {i} has length {x.Length} but the output has length {d}; all must be equal.",
                    nameof(inputs));
        }
    }

    /// <summary>Indices 0..m−1 ordered by (key ascending, index ascending): the library's tie-breaking rule.</summary>
    public static int[] OrderByKeyThenIndex(ReadOnlySpan<double> keys)
    {
        var idx = new int[keys.Length];
        for (int i = 0; i < idx.Length; i++) idx[i] = i;
        var k = keys.ToArray();
        Array.Sort(idx, (a, b) =>
        {
            int c = k[a].CompareTo(k[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return idx;
    }

    /// <summary>The indices 0..m−1 not in <paramref name="selected"/>, ascending.</summary>
    public static int[] Complement(int m, IEnumerable<int> selected)
    {
        var mark = new bool[m];
        foreach (var i in selected) mark[i] = true;
        var r = new List<int>(m);
        for (int i = 0; i < m; i++) if (!mark[i]) r.Add(i);
        return r.ToArray();
    }
}
