using System.Globalization;
using System.Text.RegularExpressions;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// Durations in settings and flags: a number and a unit, always (<c>500ms</c>, <c>2s</c>, <c>1.5 s</c>, <c>1m</c>,
/// <c>1h</c>). A bare number is refused rather than read as milliseconds, so <c>--deadline 5</c> cannot silently
/// mean 5 ms.
/// </summary>
public static partial class Durations
{
    /// <exception cref="FormatException">No unit, an unknown unit, not a number, or negative; the message quotes the text.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = Pattern().Match(text.Trim());
        if (!match.Success)
            throw new FormatException(double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? $"'{text.Trim()}' has no unit; write e.g. {text.Trim()}ms, {text.Trim()}s or {text.Trim()}m."
                : $"'{text.Trim()}' is not a duration; write a number and a unit: 500ms, 2s, 1m.");
        var value = double.Parse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (value < 0) throw new FormatException($"'{text.Trim()}' is negative.");
        var scale = match.Groups["u"].Value.ToLowerInvariant() switch
        {
            "ms" or "millisecond" or "milliseconds" => 1.0,
            "s" or "second" or "seconds" => 1_000.0,
            "m" or "min" or "minute" or "minutes" => 60_000.0,
            "h" or "hour" or "hours" => 3_600_000.0,
            var u => throw new FormatException($"'{text.Trim()}': unknown unit '{u}'; use ms, s, m or h."),
        };
        var ms = value * scale;
        if (!double.IsFinite(ms) || ms > TimeSpan.MaxValue.TotalMilliseconds / 2) throw new FormatException($"'{text.Trim()}' is too long.");
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>The duration as HOCON text with a unit (<c>1500ms</c>).</summary>
    public static string Format(TimeSpan d) => d.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";

    [GeneratedRegex(@"^(?<n>[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*(?<u>[a-zA-Z]+)$")]
    private static partial Regex Pattern();
}
