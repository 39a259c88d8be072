namespace AkkaByz.Runtime.Transport;

/// <summary>How Params/Update messages at or above the threshold travel between nodes (<c>akkabyz-transport.mode</c>).</summary>
public enum VectorTransportMode
{
    /// <summary><c>tcp</c>: over a dedicated TCP connection per pair of nodes, next to Akka.Remote's (the default).</summary>
    Tcp,

    /// <summary><c>akka-chunked</c>: as ack-paced chunks over Akka.Remote (only the Akka port needs to be open).</summary>
    AkkaChunked,

    /// <summary><c>akka</c>: as one Akka.Remote message each (the vector must fit a frame).</summary>
    Akka,
}
