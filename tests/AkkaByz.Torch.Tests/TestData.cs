using AkkaByz.Core.Data;

namespace AkkaByz.Torch.Tests;

/// <summary>Data for the tests: seeded synthetic sets, and Fashion-MNIST when the Debian package is installed.</summary>
internal static class TestData
{
    public const string FashionMnistDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>Gaussian features; label = argmax of a fixed random linear map of the features (learnable).</summary>
    public static DataSet Synthetic(SampleShape shape, int classes, int count, int seed)
    {
        var rng = new Random(seed);
        var w = new float[classes * shape.Size];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        var x = new float[count * shape.Size];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            var row = x.AsSpan(n * shape.Size, shape.Size);
            for (int j = 0; j < row.Length; j++) row[j] = (float)Gaussian(rng);
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                double s = 0;
                for (int j = 0; j < row.Length; j++) s += w[c * shape.Size + j] * row[j];
                if (s > bestScore) { bestScore = s; best = c; }
            }
            y[n] = best;
        }
        return new DataSet($"synthetic-{shape}", x, y, shape, classes);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static bool HasFashionMnist =>
        File.Exists(Path.Combine(FashionMnistDir, "train-images-idx3-ubyte.gz")) &&
        File.Exists(Path.Combine(FashionMnistDir, "t10k-images-idx3-ubyte.gz"));

    /// <summary>The first <paramref name="limit"/> samples of a Fashion-MNIST split, pixels scaled to [0, 1] (Core's IDX reader).</summary>
    public static DataSet FashionMnist(bool train, int limit)
    {
        var (images, labels) = train ? (IdxReader.TrainImages, IdxReader.TrainLabels) : (IdxReader.TestImages, IdxReader.TestLabels);
        var all = IdxReader.Load(Path.Combine(FashionMnistDir, images + ".gz"), Path.Combine(FashionMnistDir, labels + ".gz"),
            train ? "fashion-mnist-train" : "fashion-mnist-test", classCount: 10);
        return all.Take(Math.Min(limit, all.Count));
    }
}

/// <summary>A fact that is skipped, saying why, when Fashion-MNIST is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!TestData.HasFashionMnist)
            Skip = $"Fashion-MNIST not found in {TestData.FashionMnistDir} (apt-get install dataset-fashion-mnist, or ./build.sh test installs it).";
    }
}
