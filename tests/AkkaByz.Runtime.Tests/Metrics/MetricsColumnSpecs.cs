using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Tests.MetricsSpecs;

/// <summary>metrics.csv's header and rows come from one table of columns, and keep their byte format.</summary>
public sealed class MetricsColumnSpecs
{
    private static readonly MetricsRow Row = new(42, 0.123456789, double.NaN, 0.81234, 17, 1, 8, 1.23456, 12.5, 3.0, 7);

    [Fact]
    public void The_header_and_a_row_keep_their_format()
    {
        Assert.Equal("round,train_loss,test_loss,test_accuracy,received,rejected,suspects,aggregation_ms,round_ms,elapsed_s,refused_total", MetricsRow.CsvHeader);
        Assert.Equal("42,0.123457,,0.8123,17,1,8,1.235,12.5,3,7", Row.ToCsv());
    }

    [Fact]
    public void A_column_of_the_table_is_a_header_name_and_a_cell_in_every_row()
    {
        Assert.Equal(string.Join(',', MetricsColumn.All.Select(c => c.Name)), MetricsRow.CsvHeader);
        Assert.Equal(MetricsColumn.All.Count, Row.ToCsv().Split(',').Length);
        var extra = new MetricsColumn("half_round", "{round}", "Half the round (an added column).", r => r.Round / 2.0, "0.0");
        var columns = MetricsColumn.All.Append(extra).ToArray();
        Assert.EndsWith(",half_round", string.Join(',', columns.Select(c => c.Name)), StringComparison.Ordinal);
        Assert.EndsWith(",7,21.0", string.Join(',', columns.Select(c => c.Csv(Row))), StringComparison.Ordinal);
    }
}
