using System.Diagnostics.Metrics;
using System.Text.Json;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Dashboard.Tests;

/// <summary>Every definition in <see cref="MetricsColumn.All"/> appears where its flags say: the CSV, the Meter, the page.</summary>
public sealed class MetricsColumnDefinitionTests
{
    private static readonly RunDescription Run = new("logreg", "synthetic", "sf", "ctma(cwtm)", "mu2", 5, 2, 100, 10, [3, 4]);

    // A completed round that was also evaluated: every column has a finite value.
    private static readonly MetricsRow Row = new(42, 0.5, 0.25, 0.875, 17, 2, 8, 1.5, 12.5, 3.0, 7)
    {
        SuspectWorkers = [3, 4],
        RejectedByReason = new Dictionary<string, int> { ["non-finite"] = 2 },
    };

    [Fact]
    public void Each_column_is_a_csv_column_an_instrument_and_a_dashboard_field_as_defined()
    {
        var header = MetricsRow.CsvHeader.Split(',');
        var cells = Row.ToCsv().Split(',');

        var published = new Dictionary<string, Instrument>(StringComparer.Ordinal);
        var recorded = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name != AkkaByzTelemetry.MeterName) return;
                lock (published) published[instrument.Name] = instrument;
                l.EnableMeasurementEvents(instrument);
            },
        };
        // Other tests in this process may record too: keep this thread's measurements of this row only.
        var thread = Environment.CurrentManagedThreadId;
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { if (Environment.CurrentManagedThreadId == thread) recorded[i.Name] = v; });
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { if (Environment.CurrentManagedThreadId == thread) recorded[i.Name] = v; });
        listener.Start();
        AkkaByzTelemetry.RecordRow(Row);

        var state = new DashboardState("train");
        state.RunStarted(Run);
        state.Row(Row);
        using var json = JsonDocument.Parse(state.Snapshot().Json);
        var dashboardRow = json.RootElement.GetProperty("rows")[0];

        for (var i = 0; i < MetricsColumn.All.Count; i++)
        {
            var c = MetricsColumn.All[i];
            Assert.Equal(c.Name, header[i]);
            Assert.Equal(c.Csv(Row), cells[i]);
            var value = c.Value(Row);
            if (c.Kind == MetricsInstrumentKind.None)
                Assert.Null(c.Instrument);
            else
            {
                Assert.True(published.TryGetValue(c.Instrument!, out var instrument), $"{c.Name}: no instrument {c.Instrument}");
                Assert.Equal(c.Unit, instrument.Unit);
                Assert.Equal(c.Kind switch
                {
                    MetricsInstrumentKind.Counter => typeof(Counter<long>),
                    MetricsInstrumentKind.IntegerGauge => typeof(Gauge<long>),
                    MetricsInstrumentKind.Gauge => typeof(Gauge<double>),
                    _ => typeof(Histogram<double>),
                }, instrument.GetType());
                Assert.True(recorded.TryGetValue(c.Instrument!, out var measured), $"{c.Name}: {c.Instrument} recorded nothing");
                Assert.Equal(value, measured);
            }
            if (c.DashboardKey is { } key)
                Assert.Equal(value, dashboardRow.GetProperty(key).GetDouble());
        }
        // The row's lists, beside the columns.
        Assert.Equal([3, 4], dashboardRow.GetProperty("s").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(2, dashboardRow.GetProperty("why").GetProperty("non-finite").GetInt32());
    }

    [Fact]
    public void The_dashboard_row_keeps_the_keys_the_page_reads()
    {
        var state = new DashboardState("train");
        state.RunStarted(Run);
        state.Row(Row with { TestLoss = double.NaN, TestAccuracy = double.NaN });
        using var json = JsonDocument.Parse(state.Snapshot().Json);
        var row = json.RootElement.GetProperty("rows")[0];
        Assert.Equal(["seq", "r", "l", "n", "j", "ag", "rt", "e", "s", "why"], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal("""{"seq":1,"r":42,"l":0.5,"n":17,"j":2,"ag":1.5,"rt":12.5,"e":3,"s":[3,4],"why":{"non-finite":2}}""", row.GetRawText());
    }

    [Fact]
    public void A_dashboard_key_used_twice_is_refused()
    {
        var twice = MetricsColumn.All.Append(new MetricsColumn("half_round", "{round}", "Half the round.", r => r.Round / 2.0, "0.0") { DashboardKey = "r" }).ToArray();
        var e = Assert.Throws<InvalidOperationException>(() => RowJsonConverter.DashboardColumns(twice));
        Assert.Contains("'half_round'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'r'", e.Message, StringComparison.Ordinal);
    }
}
