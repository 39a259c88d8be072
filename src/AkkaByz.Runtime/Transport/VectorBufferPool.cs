using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// Recycles the arrays incoming <see cref="Protocol.Update"/> vectors are read into. Allocating a fresh multi-MB
/// array per message is what limits the receiving side (new large-object-heap memory: page faults, cold caches,
/// gen-2 collections): measured here, reading 10^6-float vectors into fresh arrays ran at ~50 % of a socket, into
/// recycled ones above 100 %. The aggregator hands each round's vectors back (<see cref="VectorTransport.Recycle"/>)
/// once aggregated. Only arrays this pool lent out are taken back — tracked weakly, so vectors a receiver keeps, or
/// rejected messages nobody returns, are ordinary garbage, and an array from anywhere else is never reused.
/// Pooled bytes are capped.
/// </summary>
internal sealed class VectorBufferPool(long capacityBytes)
{
    /// <summary>Smaller vectors are allocated normally (the small-object heap handles them well).</summary>
    public const int MinimumPooledLength = 16 << 10;

    private static readonly object Lent = new();
    private readonly ConditionalWeakTable<float[], object> _lent = new();
    private readonly ConcurrentDictionary<int, ConcurrentBag<float[]>> _free = new();
    private long _pooledBytes;

    /// <summary>An array of exactly <paramref name="length"/> floats, with arbitrary contents.</summary>
    public float[] Rent(int length)
    {
        if (length < MinimumPooledLength || capacityBytes <= 0) return GC.AllocateUninitializedArray<float>(length);
        if (_free.TryGetValue(length, out var bag) && bag.TryTake(out var array))
            Interlocked.Add(ref _pooledBytes, -4L * length);
        else
            array = GC.AllocateUninitializedArray<float>(length);
        _lent.AddOrUpdate(array, Lent);
        return array;
    }

    /// <summary>Takes <paramref name="array"/> back if this pool lent it (once); anything else is ignored.</summary>
    public void Return(float[] array)
    {
        if (!_lent.Remove(array)) return;
        var bytes = 4L * array.Length;
        if (Interlocked.Add(ref _pooledBytes, bytes) > capacityBytes)
        {
            Interlocked.Add(ref _pooledBytes, -bytes);
            return;
        }
        _free.GetOrAdd(array.Length, _ => []).Add(array);
    }

    /// <summary>Bytes held for reuse now.</summary>
    public long PooledBytes => Interlocked.Read(ref _pooledBytes);
}
