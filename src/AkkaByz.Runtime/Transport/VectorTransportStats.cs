using System.Collections.Concurrent;

namespace AkkaByz.Runtime.Transport;

/// <summary>Counters of one node's <see cref="VectorTransport"/> (thread-safe; read with <see cref="Snapshot"/>).</summary>
public sealed class VectorTransportStats
{
    private long _sent;
    private long _sentBytes;
    private long _delivered;
    private long _deliveredBytes;
    private long _sendFailures;
    private readonly ConcurrentDictionary<string, long> _rejected = new();

    internal void Sent(long bytes)
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _sentBytes, bytes);
    }

    internal void Delivered(long bytes)
    {
        Interlocked.Increment(ref _delivered);
        Interlocked.Add(ref _deliveredBytes, bytes);
    }

    internal void SendFailed() => Interlocked.Increment(ref _sendFailures);

    internal void Rejected(string reason) => _rejected.AddOrUpdate(reason, 1, (_, n) => n + 1);

    /// <summary>The counters now.</summary>
    public VectorTransportSnapshot Snapshot() => new(
        Interlocked.Read(ref _sent), Interlocked.Read(ref _sentBytes),
        Interlocked.Read(ref _delivered), Interlocked.Read(ref _deliveredBytes),
        Interlocked.Read(ref _sendFailures), new Dictionary<string, long>(_rejected));
}

/// <summary>
/// <paramref name="Sent"/>: vectors handed to the carrier by this node; <paramref name="Delivered"/>: vectors that
/// arrived here and were delivered to a local actor; <paramref name="SendFailures"/>: vectors lost to a connection
/// failure; <paramref name="Rejected"/>: incoming frames or chunks refused, by reason.
/// </summary>
public sealed record VectorTransportSnapshot(
    long Sent, long SentBytes, long Delivered, long DeliveredBytes, long SendFailures, IReadOnlyDictionary<string, long> Rejected);
