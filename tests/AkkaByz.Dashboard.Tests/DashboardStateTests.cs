using System.Text.Json;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Dashboard.Tests;

public sealed class DashboardStateTests
{
    private static readonly RunDescription Run = new("logreg", "synthetic", "sf", "ctma(cwtm)", "mu2", 5, 2, 100, 10, [3, 4]);

    private static MetricsRow Row(long round, int[] suspects, double elapsed, IReadOnlyDictionary<string, int>? why = null) =>
        new(round, 1.0, double.NaN, double.NaN, 5, why?.Values.Sum() ?? 0, suspects.Length, 0.1, 1.0, elapsed) { SuspectWorkers = suspects, RejectedByReason = why };

    [Fact]
    public void Detection_precision_and_recall_count_every_round_against_the_Byzantine_workers()
    {
        var state = new DashboardState("train");
        state.RunStarted(Run);
        state.Row(Row(1, [3, 4], 0.1));           // both Byzantine discarded
        state.Row(Row(2, [0, 4], 0.2));           // one honest, one Byzantine
        state.Row(Row(3, [0, 1], 0.3, new Dictionary<string, int> { ["non-finite"] = 2 }));
        var s = state.Status();
        Assert.Equal(3, s.TruePositives);
        Assert.Equal(3, s.FalsePositives);
        Assert.Equal(0.5, s.Precision);
        Assert.Equal(3.0 / 6, s.Recall);         // 2 Byzantine workers × 3 rounds
        using var json = JsonDocument.Parse(state.Snapshot().Json);
        Assert.Equal([2, 1, 0, 1, 2], json.RootElement.GetProperty("trimmed").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(2, json.RootElement.GetProperty("rejected").GetProperty("non-finite").GetInt64());
    }

    [Fact]
    public void A_snapshot_is_reused_until_a_row_arrives_and_then_covers_it()
    {
        var state = new DashboardState("train");
        state.RunStarted(Run);
        state.Row(Row(1, [3], 0.1));
        var first = state.Snapshot();
        Assert.Same(first.Json, state.Snapshot().Json);
        state.Row(Row(2, [4], 0.2));
        var second = state.Snapshot();
        Assert.NotSame(first.Json, second.Json);
        Assert.Equal(first.Seq + 1, second.Seq);
        using var json = JsonDocument.Parse(second.Json);
        Assert.Equal([1L, 2L], json.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("r").GetInt64()));
    }

    [Fact]
    public void Rounds_per_second_uses_the_last_ten_seconds_and_gives_an_ETA()
    {
        var state = new DashboardState("train");
        state.RunStarted(Run);
        for (var r = 1; r <= 20; r++) state.Row(Row(r, [], r <= 10 ? r * 2.0 : 20 + (r - 10) * 0.5)); // slow, then 2 rounds/s faster
        var s = state.Status();
        // Window: rows with elapsed ≥ 25 − 10 = 15 s: rounds 8 (16 s) … 20 (25 s).
        Assert.NotNull(s.RoundsPerSecond);
        Assert.Equal((20 - 8) / (25.0 - 16.0), s.RoundsPerSecond!.Value, 9);
        Assert.Equal(80 / s.RoundsPerSecond.Value, s.EtaSeconds!.Value, 9);
    }

    [Fact]
    public void Deltas_carry_only_new_rows_and_decimation_forces_a_new_snapshot()
    {
        var state = new DashboardState("train", rowCapacity: 8);
        state.RunStarted(Run);
        for (var r = 1; r <= 5; r++) state.Row(Row(r, [], r));
        var (_, generation, seq) = state.Snapshot();
        state.Row(Row(6, [], 6));
        using (var delta = JsonDocument.Parse(state.Delta(seq).Json))
            Assert.Equal([6L], delta.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("r").GetInt64()));
        for (var r = 7; r <= 40; r++) state.Row(Row(r, [], r));
        Assert.NotEqual(generation, state.Generation);
        using var snapshot = JsonDocument.Parse(state.Snapshot().Json);
        var rounds = snapshot.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("r").GetInt64()).ToArray();
        Assert.InRange(rounds.Length, 2, 8);
        Assert.Equal(1, rounds[0]);
        Assert.True(rounds.Zip(rounds.Skip(1)).All(p => p.First < p.Second), "rows stay in round order");
        Assert.Equal(40, state.Status().Round);  // the status counts every row, kept or not
    }
}
