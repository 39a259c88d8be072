// The vector transport's wire messages, all in this file: the tcp carrier's endpoint discovery and the
// akka-chunked carrier's chunks. Each is registered once in TransportSerializer.

namespace AkkaByz.Runtime.Transport
{
    /// <summary>
    /// Marker for the vector transport's own messages (endpoint discovery, chunks). Bound in the embedded
    /// cluster-reference.conf to <see cref="TransportSerializer"/>. They travel over Akka.Remote between the
    /// transport's system actors; the training protocol and the cluster messages have their own markers.
    /// </summary>
    public interface IAkkaByzTransportMessage;

    /// <summary>
    /// A node's carrier → a peer's <c>/system/akkabyz-vectors</c> (over Akka.Remote): where do I send you vectors?
    /// <paramref name="Nonce"/> is random and must come back in the answer: a third node that guesses the asking actor's
    /// name cannot answer in the peer's place.
    /// </summary>
    public sealed record VectorEndpointQuery(long Nonce) : IAkkaByzTransportMessage;

    /// <summary>
    /// The answer: the TCP port of the node's vector listener (same host as its Akka address), or 0 when the node does
    /// not run the tcp carrier (then the sender cannot use it and says so).
    /// </summary>
    public sealed record VectorEndpoint(int Port, string Mode, long Nonce) : IAkkaByzTransportMessage;
}

namespace AkkaByz.Runtime.Transport.Chunked
{
    /// <summary>
    /// What a chunked transfer rebuilds on arrival, carried by its chunk 0: the message (<paramref name="Kind"/>,
    /// <paramref name="Round"/>, <paramref name="Loss"/>), where it goes and from whom (<paramref name="TargetPath"/>,
    /// <paramref name="SenderPath"/>: full paths with address and uid, as <see cref="VectorTransport.PathOf"/> writes
    /// them; the sender path is empty for no sender), and the layout: <paramref name="TotalFloats"/> floats cut into
    /// <paramref name="ChunkCount"/> = max(1, ⌈TotalFloats / ChunkFloats⌉) chunks of <paramref name="ChunkFloats"/>
    /// floats, the last one shorter.
    /// </summary>
    public sealed record VectorTransferEnvelope(
        VectorKind Kind, long Round, double Loss, string TargetPath, string SenderPath, int TotalFloats, int ChunkFloats, int ChunkCount)
    {
        /// <summary>Chunks of <paramref name="totalFloats"/> floats cut every <paramref name="chunkFloats"/>: max(1, ⌈total / chunk⌉).</summary>
        public static int CountFor(int totalFloats, int chunkFloats) =>
            totalFloats <= 0 ? 1 : (int)((totalFloats + (long)chunkFloats - 1) / chunkFloats);

        /// <summary>First float of chunk <paramref name="index"/> in the whole vector.</summary>
        public long OffsetOf(int index) => (long)index * ChunkFloats;

        /// <summary>Floats in chunk <paramref name="index"/>: <see cref="ChunkFloats"/>, or what is left for the last one.</summary>
        public int LengthOf(int index) => (int)Math.Min(ChunkFloats, TotalFloats - OffsetOf(index));
    }

    /// <summary>
    /// Chunk <paramref name="Index"/> of transfer <paramref name="TransferId"/> (numbered by the sending actor):
    /// <paramref name="Part"/> holds floats [Index·ChunkFloats, …) of the vector; chunk 0, and only chunk 0, carries the
    /// <paramref name="Envelope"/>. Chunks of a transfer are sent in order by one actor to one actor, so Akka.Remote
    /// delivers them in order (or loses the rest): the receiver accepts them strictly in sequence. On the sending side
    /// <paramref name="Part"/> is a window on the original vector (no copy before the serializer).
    /// </summary>
    public sealed record VectorChunk(long TransferId, int Index, ReadOnlyMemory<float> Part, VectorTransferEnvelope? Envelope) : IAkkaByzTransportMessage;

    /// <summary>Receiver → sender: chunk <paramref name="Index"/> of <paramref name="TransferId"/> was accepted (frees a window slot).</summary>
    public sealed record ChunkAck(long TransferId, int Index) : IAkkaByzTransportMessage;

    /// <summary>
    /// Receiver → sender: transfer <paramref name="TransferId"/> was refused (<paramref name="Reason"/>, the receiver's
    /// counter name) and will never be delivered; the sender abandons it at once instead of waiting for the timeout.
    /// </summary>
    public sealed record ChunkRefused(long TransferId, string Reason) : IAkkaByzTransportMessage;
}
