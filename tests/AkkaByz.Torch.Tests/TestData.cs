using System.IO.Compression;
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

    /// <summary>The first <paramref name="limit"/> samples of a Fashion-MNIST split, pixels scaled to [0, 1].</summary>
    public static DataSet FashionMnist(bool train, int limit)
    {
        string prefix = train ? "train" : "t10k";
        var images = ReadIdx(Path.Combine(FashionMnistDir, $"{prefix}-images-idx3-ubyte.gz"), 0x803, out var dims);
        var labels = ReadIdx(Path.Combine(FashionMnistDir, $"{prefix}-labels-idx1-ubyte.gz"), 0x801, out _);
        int n = Math.Min(limit, dims[0]);
        int size = dims[1] * dims[2];
        var x = new float[n * size];
        for (int i = 0; i < x.Length; i++) x[i] = images[i] / 255f;
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = labels[i];
        return new DataSet($"fashion-mnist-{prefix}", x, y, new SampleShape(1, dims[1], dims[2]), 10);
    }

    /// <summary>Minimal private IDX reader (unsigned bytes only); the real one lives in AkkaByz.Core.</summary>
    private static byte[] ReadIdx(string path, int magic, out int[] dims)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var b = ms.ToArray();
        int BigEndian(int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
        if (BigEndian(0) != magic) throw new InvalidDataException($"{path}: magic {BigEndian(0):x}, expected {magic:x}");
        int rank = magic & 0xff;
        dims = new int[rank];
        for (int i = 0; i < rank; i++) dims[i] = BigEndian(4 + 4 * i);
        return b.AsSpan(4 + 4 * rank).ToArray();
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
