using AkkaByz.Cli.Benchmarks;
using AkkaByz.Cli.Commands;

namespace AkkaByz.Runtime.Tests.Experiments;

public sealed class AggregationCostSpecs
{
    [Fact]
    public void The_cost_table_must_have_a_row_per_baseline_and_a_column_per_meta_aggregator()
    {
        var results = AggregationCostTable.Run([new AggregationCostSize(7, 3, 256)], ["cwtm", "krum"], repeat: 1, warmup: 0, bandwidthMb: 16, progress: null);
        var rows = results.Single().Rows;
        Assert.Equal(10, rows.Count); // 2 baselines × 5 meta columns
        var md = AggregationCostTable.Format(results, ["cwtm", "krum"]);
        Assert.Contains("### m = 7, f = 3, d = 256", md);
        Assert.Contains("| baseline | none | bucketing | nnm | ctma | nnm+ctma |", md);
        var cwtm = md.Split('\n').Single(l => l.StartsWith("| cwtm |", StringComparison.Ordinal));
        Assert.Equal(5, cwtm.Split('|', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        Assert.DoesNotContain("–", cwtm); // every cwtm spec builds at m = 7, f = 3
        // Krum needs m > 2f + 2: built with f = 2, marked and explained once.
        Assert.Contains("| krum | ", md);
        Assert.Contains("\\* krum row: built with f = 2", md);
    }

    [Fact]
    public void Sizes_must_parse_and_bad_ones_must_be_named()
    {
        var sizes = BenchAggregationCostCommand.ParseSizes("17,8,29034; 65,32,1000000");
        Assert.Equal([new AggregationCostSize(17, 8, 29034), new AggregationCostSize(65, 32, 1_000_000)], sizes);
        Assert.Contains("'17,8'", Assert.Throws<FormatException>(() => BenchAggregationCostCommand.ParseSizes("17,8")).Message);
        Assert.Equal("nnm+ctma(cwtm)", AggregationCostTable.Spec("nnm+ctma", "cwtm"));
        Assert.Equal("cwtm", AggregationCostTable.Spec("none", "cwtm"));
    }
}
