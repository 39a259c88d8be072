using System.Globalization;

namespace AkkaByz.Runtime.Configuration;

/// <summary>Crash worker <paramref name="Worker"/> when it receives Params of round <paramref name="Round"/> (spec <c>K@R</c>).</summary>
public sealed record CrashFault(int Worker, long Round)
{
    public static CrashFault Parse(string text)
    {
        var parts = text.Split('@');
        if (parts.Length != 2 || !int.TryParse(parts[0].Trim(), CultureInfo.InvariantCulture, out var k) ||
            !long.TryParse(parts[1].Trim(), CultureInfo.InvariantCulture, out var r))
            throw new FormatException($"'{text}' is not a crash spec; expected WORKER@ROUND, e.g. 3@10.");
        if (r < 1) throw new FormatException($"'{text}': the crash round must be at least 1.");
        return new CrashFault(k, r);
    }

    public override string ToString() => $"{Worker}@{Round}";
}

/// <summary>Worker <paramref name="Worker"/> delays every reply by <paramref name="Delay"/> (spec <c>K:D</c>, D with a unit: 250ms, 1.5s).</summary>
public sealed record StragglerFault(int Worker, TimeSpan Delay)
{
    public static StragglerFault Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0].Trim(), CultureInfo.InvariantCulture, out var k))
            throw new FormatException($"'{text}' is not a straggler spec; expected WORKER:DELAY, e.g. 2:300ms.");
        return new StragglerFault(k, ParseDuration(parts[1].Trim(), text));
    }

    internal static TimeSpan ParseDuration(string d, string whole)
    {
        try
        {
            return Configuration.Durations.Parse(d);
        }
        catch (FormatException e)
        {
            throw new FormatException($"'{whole}': the delay {e.Message}", e);
        }
    }

    public override string ToString() => $"{Worker}:{Delay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
}

/// <summary>What a faulty link does to a worker's update.</summary>
public enum MessageFaultKind
{
    /// <summary>The update is not sent.</summary>
    Drop,
    /// <summary>The update is sent twice.</summary>
    Duplicate,
    /// <summary>A truncated copy is sent before the real update.</summary>
    WrongLength,
    /// <summary>A copy with a NaN coordinate is sent before the real update.</summary>
    NaN,
    /// <summary>The previous round's update is re-sent before the real one.</summary>
    Replay,
}

/// <summary>A message fault on worker <paramref name="Worker"/>, every round or only <paramref name="Round"/> (spec <c>K:KIND</c> or <c>K:KIND@R</c>).</summary>
public sealed record MessageFault(int Worker, MessageFaultKind Kind, long? Round)
{
    public static MessageFault Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0].Trim(), CultureInfo.InvariantCulture, out var k))
            throw new FormatException($"'{text}' is not a message-fault spec; expected WORKER:KIND or WORKER:KIND@ROUND, e.g. 4:nan.");
        var kindAndRound = parts[1].Split('@');
        long? round = null;
        if (kindAndRound.Length == 2)
        {
            if (!long.TryParse(kindAndRound[1].Trim(), CultureInfo.InvariantCulture, out var r) || r < 1)
                throw new FormatException($"'{text}': '{kindAndRound[1]}' is not a round (1 or more).");
            round = r;
        }
        else if (kindAndRound.Length != 1)
            throw new FormatException($"'{text}' is not a message-fault spec; expected WORKER:KIND or WORKER:KIND@ROUND.");
        var kind = kindAndRound[0].Trim().ToLowerInvariant() switch
        {
            "drop" => MessageFaultKind.Drop,
            "duplicate" => MessageFaultKind.Duplicate,
            "wrong-length" => MessageFaultKind.WrongLength,
            "nan" => MessageFaultKind.NaN,
            "replay" => MessageFaultKind.Replay,
            var other => throw new FormatException($"'{text}': unknown message fault '{other}'; expected drop, duplicate, wrong-length, nan or replay."),
        };
        return new MessageFault(k, kind, round);
    }

    public bool AppliesTo(long round) => Round is null || Round == round;

    public override string ToString()
    {
        var kind = Kind switch
        {
            MessageFaultKind.WrongLength => "wrong-length",
            _ => Kind.ToString().ToLowerInvariant(),
        };
        return Round is null ? $"{Worker}:{kind}" : $"{Worker}:{kind}@{Round}";
    }
}
