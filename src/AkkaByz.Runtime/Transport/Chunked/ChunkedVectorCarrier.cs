using Akka.Actor;

namespace AkkaByz.Runtime.Transport.Chunked;

/// <summary><c>akkabyz-transport.mode = akka-chunked</c>: ack-paced chunks over Akka.Remote (in progress).</summary>
public sealed class ChunkedVectorCarrier : IVectorCarrier
{
    internal ChunkedVectorCarrier(ExtendedActorSystem system, VectorTransport transport) =>
        throw new NotSupportedException("akkabyz-transport.mode = akka-chunked is being wired in; use tcp or akka.");

    public string Name => VectorTransportSettings.ModeName(VectorTransportMode.AkkaChunked);

    public void Send(IActorRef target, VectorPayload payload, IActorRef sender) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}
