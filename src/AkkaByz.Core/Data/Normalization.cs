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

/// <summary>
/// A parsed normalisation setting: <c>unit-range</c>, <c>standardize</c> (the training set's per-channel mean and
/// deviation) or <c>standardize(MEAN,STD)</c> / <c>standardize(mean=MEAN,std=STD)</c> (given values, applied to every
/// channel, e.g. the usual MNIST <c>standardize(0.1307,0.3081)</c>).
/// </summary>
/// <param name="Mode">Unit range or standardisation.</param>
/// <param name="Mean">Given mean (with <paramref name="Std"/>); null = the training set's per-channel mean.</param>
/// <param name="Std">Given deviation, finite and &gt; 0; null = the training set's per-channel deviation.</param>
public sealed record NormalizationSpec(NormalizationMode Mode, double? Mean = null, double? Std = null)
{
    /// <summary>Pixels in [0, 1], synthetic features unchanged.</summary>
    public static readonly NormalizationSpec UnitRange = new(NormalizationMode.UnitRange);

    /// <summary>Standardise with the training set's statistics.</summary>
    public static readonly NormalizationSpec Standardize = new(NormalizationMode.Standardize);

    /// <summary>The accepted forms, for error messages and help texts.</summary>
    public const string Forms = "unit-range, standardize, or standardize(MEAN,STD) with given values, e.g. standardize(0.1307,0.3081)";

    /// <summary>True when the statistics are given rather than computed from the training set.</summary>
    public bool HasGivenStatistics => Mean is not null;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> saying what is accepted.</summary>
    public static NormalizationSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = string.Concat(text.Where(c => !char.IsWhiteSpace(c))).ToLowerInvariant();
        if (t is "unit-range" or "unitrange") return UnitRange;
        if (t is "standardize" or "standardise" or "standardize()") return Standardize;
        if (!(t.StartsWith("standardize(", StringComparison.Ordinal) || t.StartsWith("standardise(", StringComparison.Ordinal)) || !t.EndsWith(')'))
            throw new FormatException($"'{text}' is not a normalisation; expected {Forms}.");
        var items = t["standardize(".Length..^1].Split(',');
        if (items.Length != 2)
            throw new FormatException($"'{text}': standardize takes two values, the mean and the deviation (e.g. standardize(0.1307,0.3081)), got {items.Length}.");
        double? mean = null, std = null;
        for (int i = 0; i < 2; i++)
        {
            var item = items[i];
            var eq = item.IndexOf('=');
            var name = eq < 0 ? (i == 0 ? "mean" : "std") : item[..eq];
            var value = eq < 0 ? item : item[(eq + 1)..];
            if (name is not ("mean" or "std"))
                throw new FormatException($"'{text}': standardize has no parameter '{name}' (valid: mean, std).");
            if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new FormatException($"'{text}': the {name} of standardize needs a finite number, got '{value}'.");
            if (name == "mean")
            {
                if (mean is not null) throw new FormatException($"'{text}': the mean of standardize is given twice.");
                mean = v;
            }
            else
            {
                if (std is not null) throw new FormatException($"'{text}': the std of standardize is given twice.");
                if (!(v > 0)) throw new FormatException($"'{text}': the std of standardize must be > 0, got {value}.");
                std = v;
            }
        }
        return new NormalizationSpec(NormalizationMode.Standardize, mean, std);
    }

    /// <summary>
    /// Applies this setting IN PLACE: unit range leaves the data as loaded; standardisation subtracts the mean and
    /// divides by the deviation (the training set's per channel, or the given ones) in both sets. Returns the
    /// per-channel statistics used (null for unit range).
    /// </summary>
    public (double[] Mean, double[] Std)? ApplyInPlace(DataSet train, DataSet test)
    {
        if (Mode == NormalizationMode.UnitRange) return null;
        if (!HasGivenStatistics) return Normalization.StandardizeInPlace(train, test);
        var channels = train.Shape.Channels;
        var mean = Enumerable.Repeat(Mean!.Value, channels).ToArray();
        var std = Enumerable.Repeat(Std!.Value, channels).ToArray();
        Normalization.StandardizeInPlace(train, test, mean, std);
        return (mean, std);
    }

    /// <summary>The canonical text: <c>unit-range</c>, <c>standardize</c> or <c>standardize(MEAN,STD)</c>.</summary>
    public override string ToString() => Mode == NormalizationMode.UnitRange ? "unit-range"
        : HasGivenStatistics ? FormattableString.Invariant($"standardize({Mean!.Value:R},{Std!.Value:R})") : "standardize";
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

    /// <summary>
    /// Standardises <paramref name="train"/> and <paramref name="test"/> IN PLACE with the given per-channel
    /// <paramref name="mean"/> and <paramref name="std"/> (one entry per channel, deviations &gt; 0).
    /// </summary>
    public static void StandardizeInPlace(DataSet train, DataSet test, double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (train.Shape != test.Shape)
            throw new ArgumentException($"Train shape {train.Shape} differs from test shape {test.Shape}.", nameof(test));
        if (mean.Length != train.Shape.Channels || std.Length != train.Shape.Channels)
            throw new ArgumentException($"Need one mean and one deviation per channel ({train.Shape.Channels}), got {mean.Length} and {std.Length}.", nameof(mean));
        foreach (var v in std)
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"Deviations must be finite and > 0, got {v}.", nameof(std));
        Apply(train, mean, std);
        Apply(test, mean, std);
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
