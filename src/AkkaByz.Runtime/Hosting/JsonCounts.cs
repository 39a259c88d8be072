using System.Text.Json;

namespace AkkaByz.Runtime.Hosting;

/// <summary>Counts by name (rejections or refusals by reason, by peer) as a JSON object, in ordinal key order.</summary>
internal static class JsonCounts
{
    /// <summary>Writes <c>"name": {key: count, ...}</c> with the keys in ordinal order (the reports are diffed).</summary>
    public static void WriteCounts(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, long> counts)
    {
        w.WriteStartObject(name);
        foreach (var (key, count) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(key, count);
        w.WriteEndObject();
    }
}
