using System.Security.Cryptography;
using System.Text;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Experiments;

/// <summary>
/// One run of a grid: its axis values (axis name → value as written, in the grid's canonical axis order), the
/// validated settings they produce over the base, and a stable id.
/// </summary>
/// <param name="Id">Readable slug of the values plus 8 hex digits of their SHA-256 (depends only on the axis names
/// and values, so it is the same on every expansion of the grid: the key of the results store).</param>
/// <param name="Fingerprint">SHA-256 of the cell's full settings (output folder excluded): a stored result with another
/// fingerprint was run with a different base and is run again.</param>
public sealed record GridCell(string Id, IReadOnlyList<KeyValuePair<string, string>> Values, AkkaByzSettings Settings, string Fingerprint)
{
    /// <summary>The value of axis <paramref name="name"/>, or null when the grid does not vary it.</summary>
    public string? this[string name] => Values.FirstOrDefault(v => v.Key == name).Value;

    /// <summary>The id for a list of axis values.</summary>
    public static string IdOf(IReadOnlyList<KeyValuePair<string, string>> values)
    {
        var canonical = string.Join(";", values.Select(v => v.Key + "=" + v.Value));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..8];
        var slug = new StringBuilder();
        foreach (var (name, value) in values)
        {
            if (slug.Length > 0) slug.Append('_');
            slug.Append(name switch { "lr" => "lr", "seed" => "s", "attack" or "aggregator" or "optimizer" => "", _ => Sanitize(name) + "=" });
            slug.Append(Sanitize(value));
        }
        var text = slug.ToString();
        if (text.Length > 80) text = text[..80];
        return text + "-" + hash;
    }

    private static string Sanitize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-') sb.Append(c);
            else if (c is '+') sb.Append('+');
            else if (c is '(' or ',') sb.Append('.');
            // ')' and spaces dropped
        }
        return sb.ToString().Trim('.');
    }

    /// <summary>SHA-256 of what decides a run's outcome (the output folder and chart flag excluded).</summary>
    public static string FingerprintOf(AkkaByzSettings s)
    {
        var f = s.Faults;
        var text = string.Join("|",
            s.Data.Source, s.Data.Partition, s.Data.MaxTrain, s.Model, s.ModelThreads, s.Workers, s.Byzantine, s.Attack, s.Aggregator,
            s.Optimizer, s.BatchSize, s.Rounds, s.Epochs, s.EvalInterval, s.Seed, s.Barrier,
            string.Join(",", f.Crashes), f.CrashRate, string.Join(",", f.Stragglers), string.Join(",", f.Messages),
            s.Data.EffectiveNormalization);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
