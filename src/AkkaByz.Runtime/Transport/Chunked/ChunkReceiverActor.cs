using System.Diagnostics;
using Akka.Actor;

namespace AkkaByz.Runtime.Transport.Chunked;

/// <summary>
/// The receiving side of <see cref="ChunkedVectorCarrier"/> (<c>/system/akkabyz-chunks</c>, one per node): checks
/// each <see cref="VectorChunk"/>, copies it into place, acknowledges it (which paces the sender), and once the last
/// chunk is in hands the rebuilt message to <see cref="VectorTransport.Deliver"/> (target and sender resolved there).
/// <para>
/// A transfer is identified by its sending actor and transfer id. Everything is checked before it is used: chunk 0 and only it
/// carries the envelope, whose kind, paths, float count, chunk size and chunk count must agree, and whose vector must
/// fit <c>akkabyz-transport.tcp.maximum-message-size</c> (checked before allocating); the sender it names must live on
/// the node the chunks come from (Akka.Remote's association says which node that is, so a node cannot speak for
/// another node's actors — the sender's identity is what the aggregator trusts); chunks must come in sequence
/// with exactly the length the envelope implies. A refused chunk is counted by reason (<see cref="VectorTransport.Reject"/>),
/// its transfer dropped and the sender told (<see cref="ChunkRefused"/>); the chunks of it still in flight are then
/// dropped silently. Nothing is delivered unless every chunk arrived, and nothing is thrown.
/// </para>
/// <para>
/// Memory is bounded: a node sends its transfers to this node one after another (one sending actor per node), so a
/// new transfer from the same node means the previous one lost chunks (dropped, counted "incomplete"), and a
/// transfer that gets no chunk for <c>chunked.timeout</c> is dropped (counted "stalled"). At most one partial vector
/// per sending node is held, of at most <c>tcp.maximum-message-size</c>, and none for longer than the timeout.
/// </para>
/// </summary>
internal sealed class ChunkReceiverActor : ReceiveActor, IWithTimers
{
    public const string Name = "akkabyz-chunks";

    /// <summary>Refused transfers remembered so that their chunks still in flight are dropped without counting again.</summary>
    private const int RefusedMemory = 1024;

    private readonly VectorTransport _transport;
    private readonly VectorTransportSettings _settings;
    private readonly Dictionary<Address, Partial> _partial = [];
    private readonly HashSet<(IActorRef, long)> _refused = [];
    private readonly Queue<(IActorRef, long)> _refusedOrder = new();

    public ChunkReceiverActor(VectorTransport transport)
    {
        _transport = transport;
        _settings = transport.Settings;
        Receive<VectorChunk>(chunk =>
        {
            try
            {
                OnChunk(chunk);
            }
            catch (Exception e)
            {
                // A bug must not restart the inbox (and lose every partial transfer); refuse this chunk instead.
                Refuse(Sender, chunk.TransferId, "error", $"unexpected {e.GetType().Name}: {e.Message}");
            }
        });
        Receive<Tick>(_ => DropStalled());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(VectorTransport transport) => Akka.Actor.Props.Create(() => new ChunkReceiverActor(transport));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("stalled", Tick.Instance, ChunkSenderActor.CheckInterval(_settings.ChunkTimeout));

    private void OnChunk(VectorChunk chunk)
    {
        var from = Sender;
        var node = from.Path.Address;
        if (chunk.Envelope is { } envelope)
        {
            if (_partial.Remove(node, out var previous))
                _transport.Reject("incomplete", $"transfer {previous.Id} from {previous.From.Path} lost chunks after {previous.Next} of {previous.Envelope.ChunkCount} (a new transfer from that node started)");
            if (Check(chunk, envelope) is { } problem)
            {
                Refuse(from, chunk.TransferId, problem.Reason, problem.Detail);
                return;
            }
            // Updates are assembled in recycled arrays (the aggregator returns them after each round); Params are kept
            // by the worker's optimizer, so they get their own. A dropped partial's array is simply garbage.
            var vector = envelope.Kind == VectorKind.Update
                ? _transport.Buffers.Rent(envelope.TotalFloats)
                : GC.AllocateUninitializedArray<float>(envelope.TotalFloats);
            _partial[node] = new Partial(from, chunk.TransferId, envelope, vector);
        }
        if (!_partial.TryGetValue(node, out var p) || p.Id != chunk.TransferId || !p.From.Equals(from))
        {
            if (_refused.Contains((from, chunk.TransferId))) return; // the rest of a refused transfer
            Refuse(from, chunk.TransferId, "no-envelope", $"chunk {chunk.Index} of transfer {chunk.TransferId} from {from.Path} belongs to no transfer in progress (its chunk 0 never arrived)");
            return;
        }
        var expected = p.Envelope.LengthOf(p.Next);
        if (chunk.Index != p.Next || chunk.Part.Length != expected)
        {
            _partial.Remove(node);
            Refuse(from, chunk.TransferId, chunk.Index != p.Next ? "bad-index" : "bad-length",
                $"transfer {p.Id} from {from.Path}: got chunk {chunk.Index} of {chunk.Part.Length} floats, expected chunk {p.Next} of {expected} floats (of {p.Envelope.ChunkCount})");
            return;
        }
        chunk.Part.Span.CopyTo(p.Vector.AsSpan((int)p.Envelope.OffsetOf(p.Next)));
        p.Next++;
        p.LastChunk = Stopwatch.GetTimestamp();
        from.Tell(new ChunkAck(p.Id, chunk.Index));
        if (p.Next < p.Envelope.ChunkCount) return;
        _partial.Remove(node);
        var e = p.Envelope;
        _transport.Deliver(e.TargetPath, e.SenderPath, new VectorPayload(e.Kind, e.Round, e.Loss, p.Vector));
    }

    /// <summary>The reason to refuse chunk 0 carrying <paramref name="e"/>, or null when the envelope is consistent.</summary>
    private (string Reason, string Detail)? Check(VectorChunk chunk, VectorTransferEnvelope e)
    {
        var what = $"transfer {chunk.TransferId} from {Sender.Path}";
        if (chunk.Index != 0) return ("bad-envelope", $"{what}: chunk {chunk.Index} carries an envelope (only chunk 0 may)");
        if (!VectorPayload.IsKnown(e.Kind)) return ("bad-kind", $"{what}: message kind {(byte)e.Kind} (1 Params, 2 Update, 3 HonestCopy, 4 CraftedVector)");
        if (e.TargetPath.Length is 0 or > Tcp.VectorFrame.MaxPathBytes || e.SenderPath.Length > Tcp.VectorFrame.MaxPathBytes)
            return ("bad-path", $"{what}: target path of {e.TargetPath.Length} and sender path of {e.SenderPath.Length} characters (target 1..{Tcp.VectorFrame.MaxPathBytes}, sender 0..{Tcp.VectorFrame.MaxPathBytes})");
        // Only a consistency check: Akka.Remote takes Sender from the envelope the peer wrote, so in insecure mode a
        // peer can name any sender (mode = mtls does not use this carrier; see docs/cluster.md, "Threat model").
        if (e.SenderPath.Length > 0 && !(ActorPath.TryParse(e.SenderPath, out var claimed) && claimed.Address == Sender.Path.Address))
            return ("forged-sender", $"{what}: the envelope names the sender {e.SenderPath}, which is not an actor of the node that sent it ({Sender.Path.Address})");
        if (e.TotalFloats < 0 || e.ChunkFloats < 1 || e.ChunkCount != VectorTransferEnvelope.CountFor(e.TotalFloats, e.ChunkFloats))
            return ("bad-envelope", $"{what}: {e.TotalFloats} floats in chunks of {e.ChunkFloats} cannot make {e.ChunkCount} chunks");
        if (4L * e.TotalFloats > _settings.MaximumMessageSize)
            return ("too-large", $"{what}: a vector of {e.TotalFloats} floats ({4L * e.TotalFloats} bytes) exceeds akkabyz-transport.tcp.maximum-message-size = {_settings.MaximumMessageSize} bytes");
        // Once the node knows the run's d, nothing else is allocated for (chunk 0 announces the whole vector).
        if (_transport.ExpectedDimension is { } d && e.TotalFloats != d && !(e.Kind == VectorKind.CraftedVector && e.TotalFloats == 0))
            return ("wrong-size", $"{what}: a vector of {e.TotalFloats} floats; this run's vectors have d = {d}");
        return null;
    }

    private void Refuse(IActorRef from, long transferId, string reason, string detail)
    {
        _transport.Reject(reason, detail);
        if (_refused.Add((from, transferId)))
        {
            _refusedOrder.Enqueue((from, transferId));
            if (_refusedOrder.Count > RefusedMemory) _refused.Remove(_refusedOrder.Dequeue());
        }
        from.Tell(new ChunkRefused(transferId, reason));
    }

    private void DropStalled()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (node, p) in _partial.Where(kv => Stopwatch.GetElapsedTime(kv.Value.LastChunk, now) > _settings.ChunkTimeout).ToList())
        {
            _partial.Remove(node);
            _transport.Reject("stalled", $"transfer {p.Id} from {p.From.Path} got no chunk for {_settings.ChunkTimeout.TotalSeconds:0.###} s after {p.Next} of {p.Envelope.ChunkCount} (akkabyz-transport.chunked.timeout)");
        }
    }

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    private sealed class Partial(IActorRef from, long id, VectorTransferEnvelope envelope, float[] vector)
    {
        public IActorRef From { get; } = from;
        public long Id { get; } = id;
        public VectorTransferEnvelope Envelope { get; } = envelope;
        public float[] Vector { get; } = vector;
        public int Next { get; set; }
        public long LastChunk { get; set; } = Stopwatch.GetTimestamp();
    }
}
