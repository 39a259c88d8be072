using Akka.Actor;
using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// A node's carrier → a peer's <c>/system/akkabyz-vectors</c> (over Akka.Remote): where do I send you vectors?
/// <paramref name="Nonce"/> is random and must come back in the answer: a third node that guesses the asking actor's
/// name cannot answer in the peer's place.
/// </summary>
public sealed record VectorEndpointQuery(long Nonce) : IAkkaByzClusterMessage;

/// <summary>
/// The answer: the TCP port of the node's vector listener (same host as its Akka address), or 0 when the node does
/// not run the tcp carrier (then the sender cannot use it and says so).
/// </summary>
public sealed record VectorEndpoint(int Port, string Mode, long Nonce) : IAkkaByzClusterMessage;

/// <summary>Answers <see cref="VectorEndpointQuery"/> on every remote node (<c>/system/akkabyz-vectors</c>).</summary>
internal sealed class VectorEndpointActor : ReceiveActor
{
    public const string Name = "akkabyz-vectors";

    public VectorEndpointActor(int port, string mode) =>
        Receive<VectorEndpointQuery>(q => Sender.Tell(new VectorEndpoint(port, mode, q.Nonce)));

    public static Props Props(int port, string mode) => Akka.Actor.Props.Create(() => new VectorEndpointActor(port, mode));
}
