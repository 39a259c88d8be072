using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Tests.MetricsSpecs;

/// <summary>The rows a run keeps in memory stay bounded however long it runs, and still span it evenly.</summary>
public sealed class MetricsSeriesSpecs
{
    private static MetricsRow Row(long round, bool evaluated = false) =>
        new(round, 1.0 / (round + 1), evaluated ? 0.5 : double.NaN, evaluated ? 0.9 : double.NaN, 17, 0, 8, 0.1, 1, round * 0.001);

    [Fact]
    public void Below_its_capacity_the_series_keeps_every_row_in_order()
    {
        var series = new MetricsSeries(64);
        for (var r = 0; r <= 50; r++) series.Add(Row(r, r % 10 == 0));
        Assert.Equal(Enumerable.Range(0, 51).Select(i => (long)i), series.Snapshot().Select(r => r.Round));
    }

    [Fact]
    public void A_million_rows_keep_a_bounded_evenly_spaced_series_with_the_first_the_last_and_every_evaluation()
    {
        var series = new MetricsSeries(1024);
        const long rounds = 1_000_000;
        for (long r = 0; r <= rounds; r++) series.Add(Row(r, r % 2500 == 0 || r == rounds));
        var kept = series.Snapshot();

        Assert.Equal(rounds + 1, series.Count);
        Assert.InRange(kept.Count, 512, 2 * 1024 + 2);
        Assert.Equal(0, kept[0].Round);
        Assert.Equal(rounds, kept[^1].Round);
        Assert.Equal(401, kept.Count(r => r.Evaluated)); // 1,000,000 / 2,500 + 1: all of them
        Assert.True(kept.Zip(kept.Skip(1)).All(p => p.First.Round < p.Second.Round), "strictly increasing rounds");
        var plain = kept.Where(r => !r.Evaluated).ToArray();
        var gaps = plain.Zip(plain.Skip(1)).Select(p => p.Second.Round - p.First.Round).Distinct().ToArray();
        Assert.True(gaps.Length <= 2, $"even spacing (the last gap may be shorter): {string.Join(", ", gaps)}");
    }
}
