using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Dashboard;

/// <summary>
/// Writes a dashboard row (<see cref="DashboardState.RowDto"/>) as the page reads it: <c>seq</c>, then every column of
/// the state's columns (<see cref="MetricsColumn.All"/>) that has a <see cref="MetricsColumn.DashboardKey"/>, under that
/// short key, when its value is finite (a missing key is a missing value), then <c>s</c> (the workers the rule
/// discarded) and <c>why</c> (this round's rejections by reason, when there were any). The page learns the keys from
/// the column list (<see cref="DashboardState.ColumnsJson"/>). The keys are encoded once; a row allocates nothing.
/// Write-only: the page never sends rows back.
/// </summary>
/// <param name="all">The columns; a key used twice or reserved for the row's lists is refused (<see cref="DashboardColumns"/>).</param>
public sealed class RowJsonConverter(IReadOnlyList<MetricsColumn> all) : JsonConverter<DashboardState.RowDto>
{
    private static readonly JsonEncodedText SeqKey = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText SuspectsKey = JsonEncodedText.Encode("s");
    private static readonly JsonEncodedText WhyKey = JsonEncodedText.Encode("why");

    /// <summary>The columns the page receives, with their encoded keys, in column order.</summary>
    private readonly (MetricsColumn Column, JsonEncodedText Key)[] _columns = DashboardColumns(all);

    /// <summary>The columns of <paramref name="all"/> sent to the page; a key used twice or reserved for the row's lists is refused.</summary>
    public static (MetricsColumn Column, JsonEncodedText Key)[] DashboardColumns(IReadOnlyList<MetricsColumn> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        var seen = new HashSet<string>(StringComparer.Ordinal) { "seq", "s", "why" };
        var columns = new List<(MetricsColumn, JsonEncodedText)>();
        foreach (var c in all)
        {
            if (c.DashboardKey is not { } key) continue;
            if (!seen.Add(key))
                throw new InvalidOperationException($"Metrics column '{c.Name}': dashboard key '{key}' is used twice or reserved (seq, s, why).");
            columns.Add((c, JsonEncodedText.Encode(key)));
        }
        return [.. columns];
    }

    public override DashboardState.RowDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Dashboard rows are written, never read.");

    public override void Write(Utf8JsonWriter writer, DashboardState.RowDto value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var row = value.Row;
        writer.WriteStartObject();
        writer.WriteNumber(SeqKey, value.Seq);
        foreach (var (column, key) in _columns)
        {
            var v = column.Value(row);
            if (double.IsFinite(v)) writer.WriteNumber(key, v);
        }
        writer.WriteStartArray(SuspectsKey);
        var suspects = row.SuspectWorkers;
        for (var i = 0; i < suspects.Count; i++) writer.WriteNumberValue(suspects[i]);
        writer.WriteEndArray();
        if (row.RejectedByReason is { } why)
        {
            writer.WriteStartObject(WhyKey);
            foreach (var (reason, count) in why) writer.WriteNumber(reason, count);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}
