using System.Buffers.Binary;
using System.IO.Compression;
using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Data;

public class IdxReaderTests
{
    internal static byte[] Images(int count, int rows, int cols, Func<int, byte>? pixel = null)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (var i = 16; i < bytes.Length; i++) bytes[i] = pixel?.Invoke(i - 16) ?? (byte)((i - 16) % 256);
        return bytes;
    }

    internal static byte[] Labels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    internal static void Write(string path, byte[] content, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, content); return; }
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(content);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_raw_or_gzip(bool gzip)
    {
        using var dir = new TempDirectory();
        // gzip detection is by content: use a name without .gz for the compressed file too
        Write(dir.File("img"), Images(3, 2, 2), gzip);
        Write(dir.File("lab"), Labels(2, 0, 9), gzip);
        var data = IdxReader.Load(dir.File("img"), dir.File("lab"), "tiny");
        Assert.Equal(3, data.Count);
        Assert.Equal(new SampleShape(1, 2, 2), data.Shape);
        Assert.Equal([2, 0, 9], data.Labels);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(5 / 255f, data.Features[5]);
        Assert.Equal(11 / 255f, data.Features[11]);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(dir.File("nope")));
        Assert.Equal(dir.File("nope"), ex.Path);
        Assert.Contains("not found", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bad_magic_is_reported(bool gzip)
    {
        using var dir = new TempDirectory();
        Write(dir.File("lab"), Labels(1, 2), gzip);
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(dir.File("lab"))); // a label file where images are expected
        Assert.Contains("bad magic", ex.Message);
        Assert.Contains("0x00000801", ex.Message);
        Assert.Equal(dir.File("lab"), ex.Path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_data_is_reported(bool gzip)
    {
        using var dir = new TempDirectory();
        var full = Images(4, 3, 3);
        Write(dir.File("img"), full[..^5], gzip);
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(dir.File("img")));
        Assert.Contains("truncated", ex.Message);
        Write(dir.File("short"), full[..10], gzip);
        ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(dir.File("short")));
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Corrupt_gzip_stream_is_reported()
    {
        using var dir = new TempDirectory();
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(Images(50, 4, 4));
        var bytes = gz.ToArray();
        File.WriteAllBytes(dir.File("img.gz"), bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(dir.File("img.gz")));
        Assert.Equal(dir.File("img.gz"), ex.Path);
    }

    [Fact]
    public void Image_label_count_mismatch_is_reported()
    {
        using var dir = new TempDirectory();
        Write(dir.File("img"), Images(3, 2, 2), false);
        Write(dir.File("lab"), Labels(1, 2), false);
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.Load(dir.File("img"), dir.File("lab"), "x"));
        Assert.Contains("count mismatch", ex.Message);
        Assert.Contains("2 labels", ex.Message);
        Assert.Contains("3 images", ex.Message);
    }

    [Fact]
    public void DataSources_loads_an_idx_directory_with_mixed_gzip_and_raw_names()
    {
        using var dir = new TempDirectory();
        Write(dir.File(IdxReader.TrainImages + ".gz"), Images(4, 2, 3), true);
        Write(dir.File(IdxReader.TrainLabels), Labels(0, 1, 2, 1), false);
        Write(dir.File(IdxReader.TestImages), Images(2, 2, 3), false);
        Write(dir.File(IdxReader.TestLabels + ".gz"), Labels(2, 0), true);
        var (train, test) = DataSources.Load("idx:" + dir.Path);
        Assert.Equal(4, train.Count);
        Assert.Equal(2, test.Count);
        Assert.Equal(3, train.ClassCount);
        Assert.Equal(train.ClassCount, test.ClassCount);
        Assert.Equal(new SampleShape(1, 2, 3), test.Shape);

        File.Delete(dir.File(IdxReader.TestLabels + ".gz"));
        var ex = Assert.Throws<DataFormatException>(() => DataSources.Load("idx:" + dir.Path));
        Assert.Contains(IdxReader.TestLabels, ex.Path);
    }

    [Fact]
    public void Unknown_source_lists_the_valid_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => DataSources.Load("imagenet:/x"));
        Assert.Contains("synthetic", ex.Message);
        Assert.Contains("cifar10:DIR", ex.Message);
        Assert.Throws<ArgumentException>(() => DataSources.Load("idx:"));
    }
}
