namespace AkkaByz.Core.Data;

/// <summary>
/// A labelled classification data set held in memory: <see cref="Count"/> examples of
/// <see cref="Shape"/> (channels × height × width, or 1 × 1 × features) float32 features, row-major in
/// <see cref="Features"/>, and labels 0..<see cref="ClassCount"/>−1.
/// </summary>
public sealed class DataSet
{
    public DataSet(string name, float[] features, int[] labels, SampleShape shape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 2) throw new ArgumentException($"A classification data set needs at least 2 classes, got {classCount}.", nameof(classCount));
        if (features.Length != labels.Length * shape.Size)
            throw new ArgumentException(
                $"Data set '{name}': {features.Length} feature values do not match {labels.Length} labels × {shape.Size} features per sample.",
                nameof(features));
        foreach (var y in labels)
            if ((uint)y >= (uint)classCount)
                throw new ArgumentException($"Data set '{name}': label {y} is outside 0..{classCount - 1}.", nameof(labels));
        Name = name;
        Features = features;
        Labels = labels;
        Shape = shape;
        ClassCount = classCount;
    }

    public string Name { get; }
    public float[] Features { get; }
    public int[] Labels { get; }
    public SampleShape Shape { get; }
    public int ClassCount { get; }
    public int Count => Labels.Length;
    public int FeatureCount => Shape.Size;

    /// <summary>The features of sample <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Sample(int i) => Features.AsSpan(i * FeatureCount, FeatureCount);
}

/// <summary>Shape of one sample: channels × height × width (flat feature vectors use 1 × 1 × n).</summary>
public readonly record struct SampleShape(int Channels, int Height, int Width)
{
    public int Size => Channels * Height * Width;
    public static SampleShape Flat(int features) => new(1, 1, features);
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
