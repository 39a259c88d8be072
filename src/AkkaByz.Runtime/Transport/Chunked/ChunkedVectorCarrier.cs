using Akka.Actor;
using Akka.Event;

namespace AkkaByz.Runtime.Transport.Chunked;

/// <summary>
/// <c>akkabyz-transport.mode = akka-chunked</c>: vectors travel over Akka.Remote itself (only the Akka port needs
/// to be open) as <see cref="VectorChunk"/>s of at most <c>chunked.chunk-size</c> bytes, with at most
/// <c>chunked.window</c> chunks unacknowledged per destination node, so the association never holds more than
/// window × chunk-size bytes of ours and cluster heartbeats are never stuck behind a whole vector (measured on a 2-core machine:
/// one 80 MB message delayed heartbeats by 9 s; ack-paced 4–8 MB chunks did not).
/// <para>
/// Two system actors per node: <see cref="ChunkSenderActor"/> (<c>/system/akkabyz-chunk-sender</c>) cuts each
/// payload into chunks, chunk 0 carrying the <see cref="VectorTransferEnvelope"/> (kind, round, loss, target and
/// sender paths, layout), paces them by <see cref="ChunkAck"/>s and abandons a transfer left unacknowledged for
/// <c>chunked.timeout</c>; <see cref="ChunkReceiverActor"/> (<c>/system/akkabyz-chunks</c>) checks, acknowledges and
/// reassembles them and hands the whole message to <see cref="VectorTransport.Deliver"/>. The node also answers
/// <see cref="VectorEndpointQuery"/> with port 0, so a tcp-mode peer says clearly that the modes differ.
/// </para>
/// </summary>
public sealed class ChunkedVectorCarrier : IVectorCarrier
{
    /// <summary>Name of the receiving system actor (<c>/system/akkabyz-chunks</c>) that chunks are sent to.</summary>
    public const string ReceiverName = ChunkReceiverActor.Name;

    private readonly VectorTransport _transport;
    private readonly IActorRef _sender;

    internal ChunkedVectorCarrier(ExtendedActorSystem system, VectorTransport transport)
    {
        _transport = transport;
        system.SystemActorOf(ChunkReceiverActor.Props(transport), ChunkReceiverActor.Name);
        _sender = system.SystemActorOf(ChunkSenderActor.Props(transport), ChunkSenderActor.Name);
        system.SystemActorOf(VectorEndpointActor.Props(0, Name), VectorEndpointActor.Name);
        var s = transport.Settings;
        transport.Log.Info("Vector transport: akka-chunked, chunks of {0} bytes, {1} in flight per node, timeout {2}.", s.ChunkBytes, s.Window, s.ChunkTimeout);
    }

    public string Name => VectorTransportSettings.ModeName(VectorTransportMode.AkkaChunked);

    public void Send(IActorRef target, VectorPayload payload, IActorRef sender) =>
        _sender.Tell(new ChunkSenderActor.Outgoing(target, _transport.PathOf(target), _transport.PathOf(sender), payload));

    /// <summary>Nothing to release: the actors stop with their actor system.</summary>
    public void Dispose()
    {
    }
}
