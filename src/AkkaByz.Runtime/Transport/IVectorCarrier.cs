using Akka.Actor;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// Moves a <see cref="VectorPayload"/> to an actor on another node, outside the one Akka.Remote message it would
/// otherwise be, and delivers it there as the original <see cref="Protocol.Params"/>/<see cref="Protocol.Update"/>
/// with the original sender (identity stays the sender's actor ref). Chosen by <c>akkabyz-transport.mode</c>:
/// <see cref="Tcp.TcpVectorCarrier"/> (a dedicated socket per pair of nodes) or
/// <see cref="Chunked.ChunkedVectorCarrier"/> (ack-paced chunks over Akka.Remote).
/// </summary>
public interface IVectorCarrier : IDisposable
{
    /// <summary>The mode's name as written in the configuration.</summary>
    string Name { get; }

    /// <summary>
    /// Queues <paramref name="payload"/> for <paramref name="target"/> and returns at once. Network failures are
    /// logged and counted, never thrown: the message is then lost, as a remote message to an unreachable node
    /// would be, and the round deadline covers it.
    /// </summary>
    void Send(IActorRef target, VectorPayload payload, IActorRef sender);
}
