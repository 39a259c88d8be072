using Akka.Actor;

namespace AkkaByz.Runtime.Transport;

/// <summary>Ask a <see cref="ChunkedSender"/> to deliver <paramref name="Vector"/> to the remote <see cref="ChunkAssembler"/> <paramref name="Target"/>.</summary>
public sealed record SendVector(IActorRef Target, float[] Vector) : INoSerializationVerificationNeeded;

/// <summary>ChunkedSender → requester: every chunk of transfer <paramref name="TransferId"/> was acknowledged.</summary>
public sealed record VectorSent(long TransferId, int Chunks) : INoSerializationVerificationNeeded;

/// <summary>
/// Sends large float vectors as <see cref="VectorChunk"/>s of at most chunk-size bytes, keeping at most
/// <c>window</c> chunks unacknowledged (across transfers): the remote link never holds more than
/// window × chunk-size bytes of ours, so cluster heartbeats queue behind a few MB at most, never behind a whole
/// 40–80 MB vector (DESIGN §3). Chunks leave in request order; each transfer ends with <see cref="VectorSent"/> to
/// its requester once all its chunks are acknowledged.
/// </summary>
public sealed class ChunkedSender : ReceiveActor
{
    private readonly int _chunkFloats;
    private readonly int _window;
    private readonly List<Transfer> _active = [];
    private long _nextId = 1;
    private int _inFlight;

    public ChunkedSender(int chunkBytes, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _chunkFloats = chunkBytes / sizeof(float);
        _window = window;
        Receive<SendVector>(s =>
        {
            var count = ChunkCount(s.Vector.Length, _chunkFloats);
            _active.Add(new Transfer(_nextId++, s.Target, Sender, s.Vector, count, ChunkAssembler.ChunkLength(s.Vector.Length, count)));
            Pump();
        });
        Receive<ChunkAck>(OnAck);
    }

    public static Props Props(int chunkBytes, int window) => Akka.Actor.Props.Create(() => new ChunkedSender(chunkBytes, window));

    /// <summary>Chunks of a vector of <paramref name="length"/> floats: ceil(length / chunkFloats), at least 1.</summary>
    public static int ChunkCount(int length, int chunkFloats) => Math.Max(1, (length + chunkFloats - 1) / chunkFloats);

    private void Pump()
    {
        foreach (var t in _active)
        {
            while (_inFlight < _window && t.Sent < t.Count)
            {
                var index = t.Sent++;
                var offset = index * t.ChunkLength;
                var part = t.Vector.AsSpan(offset, Math.Min(t.ChunkLength, t.Vector.Length - offset)).ToArray();
                t.Target.Tell(new VectorChunk(t.Id, index, t.Count, t.Vector.Length, part), Self);
                _inFlight++;
            }
            if (_inFlight >= _window) return;
        }
    }

    private void OnAck(ChunkAck ack)
    {
        var i = _active.FindIndex(t => t.Id == ack.TransferId);
        if (i < 0) return;
        var t = _active[i];
        _inFlight--;
        if (++t.Acked == t.Count)
        {
            _active.RemoveAt(i);
            t.Requester.Tell(new VectorSent(t.Id, t.Count));
        }
        Pump();
    }

    private sealed class Transfer(long id, IActorRef target, IActorRef requester, float[] vector, int count, int chunkLength)
    {
        public long Id { get; } = id;
        public IActorRef Target { get; } = target;
        public IActorRef Requester { get; } = requester;
        public float[] Vector { get; } = vector;
        public int Count { get; } = count;
        public int ChunkLength { get; } = chunkLength;
        public int Sent { get; set; }
        public int Acked { get; set; }
    }
}
