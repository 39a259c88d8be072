using System.Buffers.Binary;

namespace AkkaByz.Core.Data;

/// <summary>
/// Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header
/// <c>00 00 08 n</c> (unsigned bytes, n dimensions), n big-endian int32 sizes, then the data. Image files have n = 3
/// (count × rows × cols, magic 0x00000803), label files n = 1 (magic 0x00000801). Files may be gzip-compressed
/// (detected from the content) or raw.
/// </summary>
public static class IdxReader
{
    /// <summary>The four standard file names (without <c>.gz</c>).</summary>
    public const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte",
        TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>Reads an image file: returns (count, rows, cols, pixels as bytes, count·rows·cols of them).</summary>
    /// <exception cref="DataFormatException">Missing, bad magic, or truncated/overlong.</exception>
    public static (int Count, int Rows, int Cols, byte[] Pixels) ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDims: 3);
        return (dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a label file: one byte per sample.</summary>
    public static byte[] ReadLabels(string path) => Read(path, expectedDims: 1).Data;

    /// <summary>
    /// Loads an image file and its label file as a <see cref="DataSet"/> with pixels scaled to [0, 1] and shape
    /// 1 × rows × cols. <paramref name="classCount"/> = 0 means max label + 1 (at least 2).
    /// </summary>
    /// <exception cref="DataFormatException">Either file is bad, or their counts differ.</exception>
    public static DataSet Load(string imagesPath, string labelsPath, string name, int classCount = 0)
    {
        var (count, rows, cols, pixels) = ReadImages(imagesPath);
        var labelBytes = ReadLabels(labelsPath);
        if (labelBytes.Length != count)
            throw new DataFormatException(labelsPath, $"image/label count mismatch: {labelBytes.Length} labels but {imagesPath} has {count} images.");
        var labels = new int[count];
        var maxLabel = 0;
        for (var i = 0; i < count; i++)
        {
            labels[i] = labelBytes[i];
            maxLabel = Math.Max(maxLabel, labels[i]);
        }
        if (classCount == 0) classCount = Math.Max(2, maxLabel + 1);
        else if (maxLabel >= classCount)
            throw new DataFormatException(labelsPath, $"label {maxLabel} is outside 0..{classCount - 1}.");
        var features = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++) features[i] = pixels[i] * (1f / 255f);
        return new DataSet(name, features, labels, new SampleShape(1, rows, cols), classCount);
    }

    private static (int[] Dims, byte[] Data) Read(string path, int expectedDims)
    {
        var bytes = DataFile.ReadAllBytes(path);
        if (bytes.Length < 4)
            throw new DataFormatException(path, $"truncated: {bytes.Length} bytes, too short for an IDX header.");
        var magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var expectedMagic = 0x00000800u | (uint)expectedDims;
        if (magic != expectedMagic)
            throw new DataFormatException(path,
                $"bad magic number 0x{magic:x8}, expected 0x{expectedMagic:x8} (IDX unsigned-byte {(expectedDims == 3 ? "images" : "labels")}).");
        var headerLength = 4 + 4 * expectedDims;
        if (bytes.Length < headerLength)
            throw new DataFormatException(path, $"truncated: {bytes.Length} bytes, the header needs {headerLength}.");
        var dims = new int[expectedDims];
        long size = 1;
        for (var i = 0; i < expectedDims; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new DataFormatException(path, $"dimension {i} is negative ({dims[i]}).");
            size *= dims[i];
        }
        var available = bytes.Length - headerLength;
        if (available < size)
            throw new DataFormatException(path, $"truncated: header announces {string.Join(" × ", dims)} = {size} bytes of data, file holds {available}.");
        if (available > size)
            throw new DataFormatException(path, $"{available - size} unexpected bytes after the {size} announced by the header ({string.Join(" × ", dims)}).");
        return (dims, bytes.AsSpan(headerLength).ToArray());
    }
}
