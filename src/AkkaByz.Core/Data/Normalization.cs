namespace AkkaByz.Core.Data;

/// <summary>How features are scaled after loading.</summary>
public enum NormalizationMode
{
    /// <summary>As loaded: image pixels in [0, 1] (bytes / 255); synthetic features unchanged.</summary>
    UnitRange,

    /// <summary>
    /// Per-channel standardisation (x − μ_ch) / σ_ch with μ, σ computed over the TRAINING set (in double) and applied
    /// to train and test alike. Flat data sets have one channel, so one mean and one deviation.
    /// </summary>
    Standardize,
}

/// <summary>Feature normalisation.</summary>
public static class Normalization
{
    /// <summary>
    /// Per-channel mean and standard deviation (population, in double) of <paramref name="data"/>; a channel with
    /// zero deviation reports 1 so dividing by it is safe.
    /// </summary>
    public static (double[] Mean, double[] Std) ChannelStatistics(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var channels = data.Shape.Channels;
        var plane = data.Shape.Height * data.Shape.Width;
        var sum = new double[channels];
        var sumSq = new double[channels];
        var features = data.Features;
        for (var i = 0; i < data.Count; i++)
            for (var ch = 0; ch < channels; ch++)
            {
                var span = features.AsSpan(i * data.FeatureCount + ch * plane, plane);
                double s = 0, q = 0;
                foreach (var v in span) { s += v; q += (double)v * v; }
                sum[ch] += s;
                sumSq[ch] += q;
            }
        var n = (double)data.Count * plane;
        var mean = new double[channels];
        var std = new double[channels];
        for (var ch = 0; ch < channels; ch++)
        {
            mean[ch] = n > 0 ? sum[ch] / n : 0;
            var variance = n > 0 ? Math.Max(0, sumSq[ch] / n - mean[ch] * mean[ch]) : 0;
            std[ch] = variance > 0 ? Math.Sqrt(variance) : 1;
        }
        return (mean, std);
    }

    /// <summary>
    /// Standardises <paramref name="train"/> and <paramref name="test"/> IN PLACE with the training set's per-channel
    /// statistics; returns those statistics.
    /// </summary>
    public static (double[] Mean, double[] Std) StandardizeInPlace(DataSet train, DataSet test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (train.Shape != test.Shape)
            throw new ArgumentException($"Train shape {train.Shape} differs from test shape {test.Shape}.", nameof(test));
        var (mean, std) = ChannelStatistics(train);
        Apply(train, mean, std);
        Apply(test, mean, std);
        return (mean, std);
    }

    private static void Apply(DataSet data, double[] mean, double[] std)
    {
        var plane = data.Shape.Height * data.Shape.Width;
        for (var i = 0; i < data.Count; i++)
            for (var ch = 0; ch < mean.Length; ch++)
            {
                var span = data.Features.AsSpan(i * data.FeatureCount + ch * plane, plane);
                float m = (float)mean[ch], inv = (float)(1.0 / std[ch]);
                System.Numerics.Tensors.TensorPrimitives.Subtract(span, m, span);
                System.Numerics.Tensors.TensorPrimitives.Multiply(span, inv, span);
            }
    }
}
