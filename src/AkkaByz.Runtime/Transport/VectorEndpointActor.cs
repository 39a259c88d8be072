using Akka.Actor;

namespace AkkaByz.Runtime.Transport;

/// <summary>Answers <see cref="VectorEndpointQuery"/> on every remote node (<c>/system/akkabyz-vectors</c>).</summary>
internal sealed class VectorEndpointActor : ReceiveActor
{
    public const string Name = "akkabyz-vectors";

    public VectorEndpointActor(int port, string mode) =>
        Receive<VectorEndpointQuery>(q => Sender.Tell(new VectorEndpoint(port, mode, q.Nonce)));

    public static Props Props(int port, string mode) => Akka.Actor.Props.Create(() => new VectorEndpointActor(port, mode));
}
