using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Data;

public class Cifar10ReaderTests
{
    private static byte[] Batch(params byte[] labels)
    {
        var bytes = new byte[labels.Length * Cifar10Reader.RecordLength];
        for (var r = 0; r < labels.Length; r++)
        {
            bytes[r * Cifar10Reader.RecordLength] = labels[r];
            for (var p = 0; p < Cifar10Reader.PixelsPerImage; p++) bytes[r * Cifar10Reader.RecordLength + 1 + p] = (byte)((p + r) % 251);
        }
        return bytes;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Loads_a_directory_of_batches(bool gzip)
    {
        using var dir = new TempDirectory();
        for (var b = 0; b < 5; b++) IdxReaderTests.Write(dir.File(Cifar10Reader.TrainFiles[b]), Batch((byte)b, (byte)(9 - b)), gzip);
        IdxReaderTests.Write(dir.File(Cifar10Reader.TestFile), Batch(3), gzip);
        var (train, test) = DataSources.Load("cifar10:" + dir.Path);
        Assert.Equal(10, train.Count);
        Assert.Equal(1, test.Count);
        Assert.Equal(new SampleShape(3, 32, 32), train.Shape);
        Assert.Equal([0, 9, 1, 8, 2, 7, 3, 6, 4, 5], train.Labels);
        // record 1 of batch 1 (sample 1): pixel p = (p + 1) % 251; the green plane starts at 1024
        Assert.Equal(((1024 + 1) % 251) / 255f, train.Sample(1)[1024]);
        Assert.Equal(3, test.Labels[0]);
    }

    [Fact]
    public void Truncated_batch_is_reported()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("b.bin"), Batch(1, 2)[..^100]);
        var ex = Assert.Throws<DataFormatException>(() => Cifar10Reader.ReadBatch(dir.File("b.bin")));
        Assert.Contains("truncated", ex.Message);
        Assert.Equal(dir.File("b.bin"), ex.Path);
    }

    [Fact]
    public void Label_outside_0_to_9_is_reported()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("b.bin"), Batch(1, 12));
        var ex = Assert.Throws<DataFormatException>(() => Cifar10Reader.ReadBatch(dir.File("b.bin")));
        Assert.Contains("label 12", ex.Message);
    }

    [Fact]
    public void Missing_batch_is_named()
    {
        using var dir = new TempDirectory();
        IdxReaderTests.Write(dir.File(Cifar10Reader.TrainFiles[0]), Batch(1), false);
        var ex = Assert.Throws<DataFormatException>(() => Cifar10Reader.LoadDirectory(dir.Path));
        Assert.EndsWith(Cifar10Reader.TrainFiles[1], ex.Path);
        Assert.Throws<DataFormatException>(() => Cifar10Reader.LoadDirectory(dir.File("absent")));
    }
}
