namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// The run's counters after a round: updates accepted, suspects trimmed, rejections by reason and the seconds spent
/// training. A checkpoint carries them so that a run resumed from it (a fail-over, or <c>--resume</c>) reports the
/// whole run in summary.json, not only the rounds after the restore.
/// </summary>
public sealed record RunCounters(long Accepted, long Suspects, IReadOnlyDictionary<string, long> Rejected, double TrainingSeconds)
{
    public static readonly RunCounters Zero = new(0, 0, new Dictionary<string, long>(), 0);

    public long RejectedTotal => Rejected.Values.Sum();

    internal void Write(BinaryWriter w)
    {
        w.Write(Accepted);
        w.Write(Suspects);
        w.Write(TrainingSeconds);
        w.Write(Rejected.Count);
        foreach (var (reason, count) in Rejected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.Write(reason);
            w.Write(count);
        }
    }

    internal static RunCounters Read(BinaryReader r)
    {
        var accepted = r.ReadInt64();
        var suspects = r.ReadInt64();
        var seconds = r.ReadDouble();
        var n = r.ReadInt32();
        if (n is < 0 or > 1024 || accepted < 0 || suspects < 0 || !double.IsFinite(seconds))
            throw new InvalidDataException("malformed checkpoint: counters out of range.");
        var rejected = new Dictionary<string, long>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++) rejected[r.ReadString()] = r.ReadInt64();
        return new RunCounters(accepted, suspects, rejected, seconds);
    }
}

/// <summary>One worker slot that took part in the run, and who held it (the certificate identity in mtls mode, else the node's address).</summary>
public sealed record Participant(int Slot, string Identity, string Address);

/// <summary>
/// Which run a checkpoint belongs to: its id (made when the run started, kept across fail-overs), the aggregator node
/// that wrote it (address and the actor system's uid: a standby that saw that node in its cluster knows the
/// checkpoint is of the run it stands by for), the run's output folder, and the worker slots that took part so far.
/// </summary>
public sealed record CheckpointRun(string RunId, string WriterNode, string OutputDirectory, DateTime WrittenUtc, IReadOnlyList<Participant> Participants)
{
    internal void Write(BinaryWriter w)
    {
        w.Write(RunId);
        w.Write(WriterNode);
        w.Write(OutputDirectory);
        w.Write(WrittenUtc.ToUniversalTime().Ticks);
        w.Write(Participants.Count);
        foreach (var p in Participants)
        {
            w.Write(p.Slot);
            w.Write(p.Identity);
            w.Write(p.Address);
        }
    }

    internal static CheckpointRun Read(BinaryReader r)
    {
        var id = r.ReadString();
        var writer = r.ReadString();
        var output = r.ReadString();
        var ticks = r.ReadInt64();
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) throw new InvalidDataException("malformed checkpoint: bad time.");
        var n = r.ReadInt32();
        if (n is < 0 or > 1 << 20) throw new InvalidDataException($"malformed checkpoint: {n} participants.");
        var participants = new Participant[n];
        for (var i = 0; i < n; i++) participants[i] = new Participant(r.ReadInt32(), r.ReadString(), r.ReadString());
        return new CheckpointRun(id, writer, output, new DateTime(ticks, DateTimeKind.Utc), participants);
    }
}
