using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Event;

namespace AkkaByz.Runtime.Transport.Chunked;

/// <summary>
/// The sending side of <see cref="ChunkedVectorCarrier"/> (<c>/system/akkabyz-chunk-sender</c>, one per node). Per
/// destination node: a FIFO of transfers, at most <c>chunked.window</c> chunks of at most <c>chunked.chunk-size</c>
/// bytes unacknowledged across them, chunks sent in order to that node's <see cref="ChunkReceiverActor"/>. So the
/// Akka.Remote link to a node never holds more than window × chunk-size bytes of ours, and cluster heartbeats queue
/// behind a few chunks at most, never a whole vector (an 80 MB message delayed heartbeats by 9 s in a measurement); a slow or dead node holds only its own queue.
/// <para>
/// A transfer that gets no acknowledgement for <c>chunked.timeout</c> is abandoned (its window slots freed), and so is
/// what was queued behind it for that node: each counted as a send failure and logged, the message lost as a remote
/// Tell to an unreachable node would be (the round deadline covers it). A <see cref="ChunkRefused"/> abandons a
/// transfer at once; more than <c>tcp.queue-size</c> transfers waiting for one node drops the new one.
/// </para>
/// </summary>
internal sealed class ChunkSenderActor : ReceiveActor, IWithTimers
{
    public const string Name = "akkabyz-chunk-sender";

    /// <summary>Longest target + sender path accepted in chunk 0, so it fits the frame overhead next to a full chunk.</summary>
    private const int MaxEnvelopePathBytes = 2048;

    private readonly VectorTransport _transport;
    private readonly VectorTransportSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly int _chunkFloats;
    private readonly Dictionary<Address, Destination> _destinations = [];
    private readonly Dictionary<long, Transfer> _byId = [];
    private long _nextId = 1;

    public ChunkSenderActor(VectorTransport transport)
    {
        _transport = transport;
        _settings = transport.Settings;
        _log = transport.Log;
        _chunkFloats = Math.Max(1, _settings.ChunkBytes / sizeof(float));
        Receive<Outgoing>(OnOutgoing);
        Receive<ChunkAck>(OnAck);
        Receive<ChunkRefused>(OnRefused);
        Receive<Tick>(_ => AbandonStalled());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(VectorTransport transport) => Akka.Actor.Props.Create(() => new ChunkSenderActor(transport));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("stalled", Tick.Instance, CheckInterval(_settings.ChunkTimeout));

    /// <summary>How often transfers are checked against <paramref name="timeout"/>: a quarter of it, at least 50 ms.</summary>
    internal static TimeSpan CheckInterval(TimeSpan timeout) => TimeSpan.FromTicks(Math.Max(timeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks));

    private void OnOutgoing(Outgoing o)
    {
        var address = o.Target.Path.Address;
        if (Encoding.UTF8.GetByteCount(o.TargetPath) + Encoding.UTF8.GetByteCount(o.SenderPath) > MaxEnvelopePathBytes)
        {
            Fail(o.Payload, address, $"the target and sender paths are longer than {MaxEnvelopePathBytes} bytes");
            return;
        }
        if (!_destinations.TryGetValue(address, out var destination))
        {
            var inbox = _transport.System.Provider.ResolveActorRef(new RootActorPath(address) / "system" / ChunkReceiverActor.Name);
            _destinations[address] = destination = new Destination(address, inbox);
        }
        if (destination.Transfers.Count >= _settings.QueueSize)
        {
            Fail(o.Payload, address, $"{destination.Transfers.Count} vectors already queued for that node (akkabyz-transport.tcp.queue-size)");
            return;
        }
        var p = o.Payload;
        var envelope = new VectorTransferEnvelope(p.Kind, p.Round, p.Loss, o.TargetPath, o.SenderPath, p.Vector.Length, _chunkFloats,
            VectorTransferEnvelope.CountFor(p.Vector.Length, _chunkFloats));
        var transfer = new Transfer(_nextId++, destination, p, envelope);
        destination.Transfers.AddLast(transfer);
        _byId[transfer.Id] = transfer;
        Pump(destination);
    }

    /// <summary>Sends chunks to <paramref name="d"/>, oldest transfer first, while its window has room.</summary>
    private void Pump(Destination d)
    {
        foreach (var t in d.Transfers)
        {
            while (d.InFlight < _settings.Window && t.Sent < t.Envelope.ChunkCount)
            {
                var index = t.Sent++;
                var part = t.Payload.Vector.AsMemory((int)t.Envelope.OffsetOf(index), t.Envelope.LengthOf(index));
                d.Inbox.Tell(new VectorChunk(t.Id, index, part, index == 0 ? t.Envelope : null), Self);
                d.InFlight++;
                if (index == 0) t.LastProgress = Stopwatch.GetTimestamp();
            }
            if (t.Sent < t.Envelope.ChunkCount) return; // window full: later transfers wait
        }
    }

    private void OnAck(ChunkAck ack)
    {
        // Acks come in order from the destination's receiver; anything else (late, for an abandoned transfer, or
        // not from that node) is ignored.
        if (!_byId.TryGetValue(ack.TransferId, out var t) || Sender.Path.Address != t.Destination.Address
            || ack.Index != t.Acked || t.Acked >= t.Sent)
            return;
        t.Acked++;
        t.LastProgress = Stopwatch.GetTimestamp();
        t.Destination.InFlight--;
        if (t.Acked == t.Envelope.ChunkCount) Remove(t);
        Pump(t.Destination);
    }

    private void OnRefused(ChunkRefused refused)
    {
        if (!_byId.TryGetValue(refused.TransferId, out var t) || Sender.Path.Address != t.Destination.Address) return;
        Abandon(t, $"refused by the receiver ({refused.Reason})");
        Pump(t.Destination);
    }

    private void AbandonStalled()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var d in _destinations.Values)
        {
            var stalled = d.Transfers.FirstOrDefault(t => t.Sent > t.Acked && Stopwatch.GetElapsedTime(t.LastProgress, now) > _settings.ChunkTimeout);
            if (stalled is null) continue;
            // The node stopped acknowledging: what waits behind the stalled transfer would stall the same way.
            var dropped = d.Transfers.ToList();
            foreach (var t in dropped)
                Abandon(t, t == stalled
                    ? $"no acknowledgement for {_settings.ChunkTimeout.TotalSeconds:0.###} s (akkabyz-transport.chunked.timeout) after {t.Acked} of {t.Envelope.ChunkCount} chunks"
                    : "queued behind a transfer that timed out");
        }
    }

    private void Abandon(Transfer t, string why)
    {
        t.Destination.InFlight -= t.Sent - t.Acked;
        Remove(t);
        Fail(t.Payload, t.Destination.Address, why);
    }

    private void Remove(Transfer t)
    {
        t.Destination.Transfers.Remove(t);
        _byId.Remove(t.Id);
    }

    private void Fail(VectorPayload payload, Address address, string why)
    {
        _transport.Stats.SendFailed();
        _log.Warning("Vector transport (akka-chunked): dropped a {0} of round {1} for {2}: {3}.", payload.Kind, payload.Round, address, why);
    }

    /// <summary>Carrier → actor: send <see cref="Payload"/> to <see cref="Target"/> (paths already written).</summary>
    internal sealed record Outgoing(IActorRef Target, string TargetPath, string SenderPath, VectorPayload Payload) : INoSerializationVerificationNeeded;

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    private sealed class Destination(Address address, IActorRef inbox)
    {
        public Address Address { get; } = address;
        public IActorRef Inbox { get; } = inbox;
        public LinkedList<Transfer> Transfers { get; } = new();
        public int InFlight { get; set; }
    }

    private sealed class Transfer(long id, Destination destination, VectorPayload payload, VectorTransferEnvelope envelope)
    {
        public long Id { get; } = id;
        public Destination Destination { get; } = destination;
        public VectorPayload Payload { get; } = payload;
        public VectorTransferEnvelope Envelope { get; } = envelope;
        public int Sent { get; set; }
        public int Acked { get; set; }
        public long LastProgress { get; set; }
    }
}
