using System.Runtime.InteropServices;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// parameters.bin: the final parameters as raw little-endian float32 (d × 4 bytes, no header; numpy:
/// <c>np.fromfile(path, '&lt;f4')</c>). Used to compare a cluster run with a local run bit for bit.
/// </summary>
public static class ParameterFile
{
    public static void Write(string path, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("parameters.bin is written on little-endian machines only.");
        using var stream = File.Create(path);
        stream.Write(MemoryMarshal.AsBytes(values));
    }

    public static float[] Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length % 4 != 0) throw new InvalidDataException($"'{path}' has {bytes.Length} bytes, not a multiple of 4 (float32).");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
