using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaByz.Runtime.Experiments;

/// <summary>One evaluated point of a cell's accuracy curve.</summary>
public sealed record CurvePoint(long Round, double Accuracy, double Loss);

/// <summary>A grid axis and this cell's value on it.</summary>
public sealed record AxisValue(string Axis, string Value);

/// <summary>
/// What a finished cell produced (its <c>result.json</c>): the axis values and key settings, the final and best test
/// accuracy, the final test loss, rounds run, wall time, rejected updates and suspects trimmed, and the evaluated
/// accuracy curve (for the figures; the full per-round metrics stay in the cell's metrics.csv).
/// </summary>
public sealed record CellResult
{
    public required string Id { get; init; }
    public required string Fingerprint { get; init; }
    public required IReadOnlyList<AxisValue> Values { get; init; }
    public required string Attack { get; init; }
    public required string Aggregator { get; init; }
    public required string Optimizer { get; init; }
    public required double LearningRate { get; init; }
    public required int Seed { get; init; }
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required int Workers { get; init; }
    public required int Byzantine { get; init; }
    public required int BatchSize { get; init; }
    public required bool Completed { get; init; }
    public string Reason { get; init; } = "";
    public required long Rounds { get; init; }
    public required double FinalAccuracy { get; init; }
    public required double BestAccuracy { get; init; }
    public required double FinalLoss { get; init; }
    /// <summary>Wall time of the whole cell (composition, training, final evaluation, outputs), seconds.</summary>
    public required double WallSeconds { get; init; }
    public required long Rejected { get; init; }
    public required long Suspects { get; init; }

    /// <summary>Of the run's suspects (all rounds), the fraction that were Byzantine slots; NaN when the rule named none
    /// (or for results stored before this field existed). Simulation only: the true Byzantine slots are known.</summary>
    public double SuspectPrecision { get; init; } = double.NaN;

    /// <summary>Of the Byzantine inputs (all rounds), the fraction the rule named as suspects; NaN without Byzantine inputs.</summary>
    public double SuspectRecall { get; init; } = double.NaN;
    public required IReadOnlyList<CurvePoint> Curve { get; init; }
    public DateTime FinishedUtc { get; init; }

    /// <summary>The value of a grid axis (null if the grid does not vary it).</summary>
    public string? Axis(string name) => Values.FirstOrDefault(v => v.Axis == name)?.Value;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="JsonException">Not a cell result.</exception>
    public static CellResult FromJson(string json) =>
        JsonSerializer.Deserialize<CellResult>(json, Json) ?? throw new JsonException("empty result");

    /// <summary>Writes <paramref name="path"/> atomically: a temporary file in the same folder, then a rename.</summary>
    public void WriteAtomically(string path)
    {
        var tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, path, overwrite: true);
    }
}
