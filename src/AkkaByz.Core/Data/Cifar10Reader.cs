namespace AkkaByz.Core.Data;

/// <summary>
/// Reader for the CIFAR-10 binary version (Krizhevsky 2009): each record is 1 label byte (0..9) followed by
/// 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each 32 × 32 row-major), i.e. already channel-major.
/// Training: <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>; test: <c>test_batch.bin</c>.
/// </summary>
public static class Cifar10Reader
{
    public const int ClassCount = 10, Channels = 3, Side = 32, PixelsPerImage = Channels * Side * Side, RecordLength = 1 + PixelsPerImage;

    public static IReadOnlyList<string> TrainFiles { get; } = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string TestFile = "test_batch.bin";

    /// <summary>Reads one batch file (gzip or raw): labels and pixels (bytes).</summary>
    /// <exception cref="DataFormatException">Missing, empty, truncated (length not a multiple of 3073) or a label outside 0..9.</exception>
    public static (byte[] Labels, byte[] Pixels) ReadBatch(string path)
    {
        var bytes = DataFile.ReadAllBytes(path);
        if (bytes.Length == 0) throw new DataFormatException(path, "empty file, expected CIFAR-10 records of 3073 bytes.");
        if (bytes.Length % RecordLength != 0)
            throw new DataFormatException(path,
                $"truncated: {bytes.Length} bytes is not a whole number of 3073-byte CIFAR-10 records ({bytes.Length / RecordLength} records + {bytes.Length % RecordLength} bytes).");
        var count = bytes.Length / RecordLength;
        var labels = new byte[count];
        var pixels = new byte[count * PixelsPerImage];
        for (var i = 0; i < count; i++)
        {
            var record = bytes.AsSpan(i * RecordLength, RecordLength);
            if (record[0] >= ClassCount)
                throw new DataFormatException(path, $"record {i} has label {record[0]}, expected 0..9 (not a CIFAR-10 binary batch?).");
            labels[i] = record[0];
            record[1..].CopyTo(pixels.AsSpan(i * PixelsPerImage));
        }
        return (labels, pixels);
    }

    /// <summary>Loads batch files as one <see cref="DataSet"/> (3 × 32 × 32, pixels scaled to [0, 1]).</summary>
    public static DataSet Load(IEnumerable<string> paths, string name)
    {
        var parts = paths.Select(ReadBatch).ToList();
        var count = parts.Sum(p => p.Labels.Length);
        var features = new float[(long)count * PixelsPerImage];
        var labels = new int[count];
        var at = 0;
        foreach (var (l, px) in parts)
        {
            for (var i = 0; i < l.Length; i++) labels[at + i] = l[i];
            var dst = features.AsSpan(at * PixelsPerImage, px.Length);
            for (var i = 0; i < px.Length; i++) dst[i] = px[i] * (1f / 255f);
            at += l.Length;
        }
        return new DataSet(name, features, labels, new SampleShape(Channels, Side, Side), ClassCount);
    }

    /// <summary>Loads the standard training and test batches from <paramref name="directory"/>.</summary>
    public static (DataSet Train, DataSet Test) LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory)) throw new DataFormatException(directory, "CIFAR-10 directory not found.");
        var train = Load(TrainFiles.Select(f => Path.Combine(directory, f)), "cifar10-train");
        var test = Load([Path.Combine(directory, TestFile)], "cifar10-test");
        return (train, test);
    }
}
