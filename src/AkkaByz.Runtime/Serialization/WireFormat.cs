using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using System.Text;

namespace AkkaByz.Runtime.Serialization;

/// <summary>
/// Appends little-endian primitives to a growing buffer. Float arrays are written as an int32 length followed by
/// the raw IEEE-754 bytes (one block copy on little-endian machines).
/// </summary>
internal sealed class WireWriter(int capacity = 64)
{
    private byte[] _buffer = new byte[Math.Max(16, capacity)];
    private int _length;

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);
    public void Int64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);
    public void Double(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
    public void Bool(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    public void String(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Int32(count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    public void Floats(ReadOnlySpan<float> values)
    {
        Int32(values.Length);
        var target = Reserve(values.Length * sizeof(float));
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(target);
        else
            for (var i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(target[(i * 4)..], values[i]);
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();
}

/// <summary>
/// Reads what <see cref="WireWriter"/> wrote; every read is bounds-checked and malformed input throws a
/// <see cref="SerializationException"/> naming the message kind, the field, and the sizes involved.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> bytes, string manifest)
{
    /// <summary>Upper bound on any length prefix (1 GiB of payload), so a corrupt prefix cannot trigger a huge allocation.</summary>
    private const int MaxLength = 1 << 28;

    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private readonly string _manifest = manifest;
    private int _offset;

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || _offset + count > _bytes.Length)
            throw new SerializationException(
                $"AkkaByz wire: malformed '{_manifest}' message: field '{field}' needs {count} bytes at offset {_offset}, but the message has {_bytes.Length} bytes.");
        var span = _bytes.Slice(_offset, count);
        _offset += count;
        return span;
    }

    public int Int32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));
    public long Int64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));
    public double Double(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    public bool Bool(string field)
    {
        var b = Take(1, field)[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw new SerializationException($"AkkaByz wire: malformed '{_manifest}' message: field '{field}' is a boolean byte {b}, expected 0 or 1."),
        };
    }

    private int Length(string field, int elementSize)
    {
        var n = Int32(field + ".length");
        if (n < 0 || n > MaxLength / elementSize)
            throw new SerializationException($"AkkaByz wire: malformed '{_manifest}' message: field '{field}' has length {n}.");
        return n;
    }

    public string String(string field)
    {
        var n = Length(field, 1);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(n, field));
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"AkkaByz wire: malformed '{_manifest}' message: field '{field}' is not valid UTF-8.", e);
        }
    }

    public float[] Floats(string field)
    {
        var n = Length(field, sizeof(float));
        var source = Take(n * sizeof(float), field);
        var values = new float[n];
        if (BitConverter.IsLittleEndian)
            source.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else
            for (var i = 0; i < n; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
        return values;
    }

    /// <summary>Throws if bytes are left over (a message longer than its fields is as malformed as a shorter one).</summary>
    public readonly void End()
    {
        if (_offset != _bytes.Length)
            throw new SerializationException(
                $"AkkaByz wire: malformed '{_manifest}' message: {_bytes.Length - _offset} unexpected trailing bytes after offset {_offset}.");
    }
}
