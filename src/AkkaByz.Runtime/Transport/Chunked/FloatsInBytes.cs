using System.Buffers;
using System.Runtime.InteropServices;

namespace AkkaByz.Runtime.Transport.Chunked;

/// <summary>
/// The little-endian floats stored in <c>bytes[offset .. offset + 4·count)</c>, seen as a <see cref="Memory{T}"/>
/// without copying them out: an incoming chunk's floats stay in the byte array Akka.Remote handed to the serializer
/// until the receiver copies them into the vector being assembled (no multi-MB float array per chunk). The offset
/// need not be 4-aligned (unaligned float loads are fine on x64 and Arm64). Little-endian machines only.
/// </summary>
internal sealed class FloatsInBytes(byte[] bytes, int offset, int count) : MemoryManager<float>
{
    private GCHandle _pin;

    public override Span<float> GetSpan() => MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset, 4 * count));

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        if (!_pin.IsAllocated) _pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        var start = (byte*)_pin.AddrOfPinnedObject() + offset + 4L * elementIndex;
        return new MemoryHandle(start, default, this);
    }

    public override void Unpin()
    {
        if (_pin.IsAllocated) _pin.Free();
    }

    protected override void Dispose(bool disposing) => Unpin();
}
