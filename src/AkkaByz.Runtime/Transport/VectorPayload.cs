using AkkaByz.Runtime.Protocol;

namespace AkkaByz.Runtime.Transport;

/// <summary>Which training message a <see cref="VectorPayload"/> is.</summary>
public enum VectorKind : byte
{
    /// <summary><see cref="Protocol.Params"/>: aggregator → worker, the query point of a round.</summary>
    Params = 1,

    /// <summary><see cref="Protocol.Update"/>: worker → aggregator, the worker's vector and minibatch loss.</summary>
    Update = 2,

    /// <summary><see cref="Protocol.HonestCopy"/>: honest worker → adversary tap (simulated omniscient attacks).</summary>
    HonestCopy = 3,

    /// <summary><see cref="Protocol.CraftedVector"/>: adversary tap → Byzantine worker.</summary>
    CraftedVector = 4,
}

/// <summary>
/// The protocol messages whose size grows with the model (<see cref="Params"/> and <see cref="Update"/>, and the
/// simulated adversary's <see cref="HonestCopy"/> and <see cref="CraftedVector"/>), taken apart so a carrier can move
/// the floats without an intermediate byte array and rebuild the message on arrival.
/// </summary>
public readonly record struct VectorPayload(VectorKind Kind, long Round, double Loss, float[] Vector)
{
    /// <summary>Bytes of the vector (4 per float).</summary>
    public long Bytes => 4L * Vector.Length;

    /// <summary>True if the value is one of the kinds above (checked on every incoming frame or envelope).</summary>
    public static bool IsKnown(VectorKind kind) => kind is >= VectorKind.Params and <= VectorKind.CraftedVector;

    /// <summary>True (and the payload) when <paramref name="message"/> is one of the vector-carrying messages.</summary>
    public static bool TryFrom(object message, out VectorPayload payload)
    {
        switch (message)
        {
            case Params p:
                payload = new VectorPayload(VectorKind.Params, p.Round, 0, p.X);
                return true;
            case Update u:
                payload = new VectorPayload(VectorKind.Update, u.Round, u.Loss, u.Vector);
                return true;
            case HonestCopy h:
                payload = new VectorPayload(VectorKind.HonestCopy, h.Round, 0, h.Vector);
                return true;
            case CraftedVector c:
                payload = new VectorPayload(VectorKind.CraftedVector, c.Round, 0, c.Vector);
                return true;
            default:
                payload = default;
                return false;
        }
    }

    /// <summary>The protocol message this payload was taken from.</summary>
    public IAkkaByzMessage ToMessage() => Kind switch
    {
        VectorKind.Params => new Params(Round, Vector),
        VectorKind.Update => new Update(Round, Vector, Loss),
        VectorKind.HonestCopy => new HonestCopy(Round, Vector),
        VectorKind.CraftedVector => new CraftedVector(Round, Vector),
        _ => throw new InvalidOperationException($"unknown vector kind {(byte)Kind}"),
    };
}
