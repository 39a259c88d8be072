namespace AkkaByz.Core.Data;

/// <summary>Helpers over <see cref="DataSet"/>.</summary>
public static class DataSetOps
{
    /// <summary>A new data set holding copies of the samples at <paramref name="indices"/>, in that order.</summary>
    public static DataSet Subset(this DataSet data, IReadOnlyList<int> indices, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        var d = data.FeatureCount;
        var features = new float[indices.Count * d];
        var labels = new int[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            var j = indices[i];
            if ((uint)j >= (uint)data.Count) throw new ArgumentOutOfRangeException(nameof(indices), j, $"Index outside 0..{data.Count - 1}.");
            data.Sample(j).CopyTo(features.AsSpan(i * d, d));
            labels[i] = data.Labels[j];
        }
        return new DataSet(name ?? data.Name, features, labels, data.Shape, data.ClassCount);
    }

    /// <summary>The first <paramref name="count"/> samples (or all when fewer).</summary>
    public static DataSet Take(this DataSet data, int count) =>
        data.Subset(Enumerable.Range(0, Math.Min(count, data.Count)).ToArray());
}
