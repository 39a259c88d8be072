using Akka.Actor;
using Akka.Event;

namespace AkkaByz.Runtime.Transport;

/// <summary>ChunkAssembler → its local consumer: a whole vector arrived (Sender = the remote <see cref="ChunkedSender"/>).</summary>
public sealed record VectorReceived(long TransferId, float[] Vector) : INoSerializationVerificationNeeded;

/// <summary>
/// Receiving end of <see cref="ChunkedSender"/>: acknowledges every <see cref="VectorChunk"/> (which paces the
/// sender), copies it into place, and hands the whole vector to <c>deliverTo</c> once all chunks of the transfer are
/// in. Transfers are keyed by (sender, transfer id). Malformed chunks (wrong offsets, lengths or counts) are logged
/// and dropped; the transfer then never completes.
/// </summary>
public sealed class ChunkAssembler : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<(IActorRef, long), Partial> _partial = [];

    public ChunkAssembler(IActorRef deliverTo)
    {
        Receive<VectorChunk>(c =>
        {
            var key = (Sender, c.TransferId);
            if (!_partial.TryGetValue(key, out var p))
            {
                if (c.Count < 1 || c.TotalLength < 0 || c.Count > Math.Max(1, c.TotalLength))
                {
                    _log.Warning("Dropping chunk {0} of transfer {1}: {2} chunks for {3} floats.", c.Index, c.TransferId, c.Count, c.TotalLength);
                    return;
                }
                _partial[key] = p = new Partial(new float[c.TotalLength], c.Count, ChunkLength(c.TotalLength, c.Count));
            }
            var offset = (long)c.Index * p.ChunkLength;
            var expected = (int)Math.Min(p.ChunkLength, p.Buffer.Length - offset);
            if (c.Count != p.Count || c.TotalLength != p.Buffer.Length || c.Index < 0 || c.Index >= p.Count || c.Part.Length != expected)
            {
                _log.Warning("Dropping malformed chunk {0}/{1} of transfer {2} ({3} floats; expected {4}).", c.Index, c.Count, c.TransferId, c.Part.Length, expected);
                return;
            }
            Sender.Tell(new ChunkAck(c.TransferId, c.Index));
            if (p.Got[c.Index]) return; // a duplicate: acknowledged again, counted once
            p.Got[c.Index] = true;
            c.Part.CopyTo(p.Buffer.AsSpan((int)offset));
            if (++p.Received < p.Count) return;
            _partial.Remove(key);
            deliverTo.Tell(new VectorReceived(c.TransferId, p.Buffer), Sender);
        });
    }

    public static Props Props(IActorRef deliverTo) => Akka.Actor.Props.Create(() => new ChunkAssembler(deliverTo));

    /// <summary>Floats per chunk when <paramref name="length"/> floats travel in <paramref name="count"/> chunks (the last may be shorter).</summary>
    public static int ChunkLength(int length, int count) => Math.Max(1, (length + count - 1) / count);

    private sealed class Partial(float[] buffer, int count, int chunkLength)
    {
        public float[] Buffer { get; } = buffer;
        public int Count { get; } = count;
        public int ChunkLength { get; } = chunkLength;
        public bool[] Got { get; } = new bool[count];
        public int Received { get; set; }
    }
}
