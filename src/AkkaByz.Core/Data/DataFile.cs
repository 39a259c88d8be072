using System.IO.Compression;

namespace AkkaByz.Core.Data;

/// <summary>Reads a whole data file, transparently decompressing gzip (detected by the magic bytes 0x1f 0x8b, not the name).</summary>
internal static class DataFile
{
    public static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found.");
        try
        {
            var raw = File.ReadAllBytes(path);
            if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
            {
                using var gz = new GZipStream(new MemoryStream(raw, writable: false), CompressionMode.Decompress);
                using var output = new MemoryStream(raw.Length * 4);
                gz.CopyTo(output);
                return output.ToArray();
            }
            return raw;
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip stream ({e.Message}).", e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataFormatException(path, $"could not be read ({e.Message}).", e);
        }
    }
}
