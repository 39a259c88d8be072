using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// One piece of a large float vector: chunk <paramref name="Index"/> of <paramref name="Count"/> of transfer
/// <paramref name="TransferId"/>, whose whole vector has <paramref name="TotalLength"/> floats. Chunks keep every
/// remote frame small (a few MB), so Akka.Remote interleaves cluster heartbeats between them (DESIGN §3: one 80 MB
/// message delayed heartbeats by up to 9 s).
/// </summary>
public sealed record VectorChunk(long TransferId, int Index, int Count, int TotalLength, float[] Part) : IAkkaByzClusterMessage;

/// <summary>Receiver → sender: chunk <paramref name="Index"/> of <paramref name="TransferId"/> arrived (paces the sender).</summary>
public sealed record ChunkAck(long TransferId, int Index) : IAkkaByzClusterMessage;
