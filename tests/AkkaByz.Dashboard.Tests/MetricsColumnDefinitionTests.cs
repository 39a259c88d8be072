using System.Diagnostics.Metrics;
using System.Text.Json;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Dashboard.Tests;

/// <summary>
/// Every definition in <see cref="MetricsColumn.All"/> appears where its flags say: the CSV, the Meter, the page's rows
/// and the page's column list (<c>/api/columns</c>); a definition added to the list is listed and sent with no other change.
/// </summary>
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
    public void The_dashboard_row_is_seq_then_the_keys_of_the_finite_columns_then_the_row_lists()
    {
        var state = new DashboardState("train");
        state.RunStarted(Run);
        state.Row(Row with { TestLoss = double.NaN, TestAccuracy = double.NaN });
        using var json = JsonDocument.Parse(state.Snapshot().Json);
        var row = json.RootElement.GetProperty("rows")[0];
        Assert.Equal(["seq", "r", "l", "n", "j", "sc", "ag", "rt", "e", "rf", "s", "why"], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal("""{"seq":1,"r":42,"l":0.5,"n":17,"j":2,"sc":8,"ag":1.5,"rt":12.5,"e":3,"rf":7,"s":[3,4],"why":{"non-finite":2}}""", row.GetRawText());
    }

    /// <summary>The column list as the page reads it: <c>GET /api/columns</c> of a running dashboard server.</summary>
    internal static async Task<JsonElement[]> ServedColumns(DashboardState state)
    {
        await using var server = await DashboardServer.StartAsync(state, "127.0.0.1", 0, warnings: null);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(server.Url + "api/columns");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static void AssertListed(IReadOnlyList<MetricsColumn> columns, JsonElement[] served)
    {
        Assert.Equal(columns.Select(c => c.Name), served.Select(e => e.GetProperty("name").GetString()));
        for (var i = 0; i < columns.Count; i++)
        {
            var (c, e) = (columns[i], served[i]);
            Assert.Equal(c.DashboardKey, e.GetProperty("key").GetString());
            Assert.Equal(c.Label, e.GetProperty("label").GetString());
            Assert.Equal(c.Unit, e.GetProperty("unit").GetString());
            Assert.Equal(c.Format, e.GetProperty("format").GetString());
            Assert.Equal(c.Description, e.GetProperty("description").GetString());
            Assert.Equal(c.Chart, e.GetProperty("chart").GetString());
        }
    }

    [Fact]
    public async Task The_columns_endpoint_lists_every_definition_in_order_with_what_the_page_shows()
    {
        var served = await ServedColumns(new DashboardState("train"));
        AssertListed(MetricsColumn.All, served);
        // Every column the rows carry is in the list (the page has no other source for a key).
        Assert.All(MetricsColumn.All.Where(c => c.DashboardKey is not null), c => Assert.Contains(served, e => e.GetProperty("key").GetString() == c.DashboardKey));
    }

    /// <summary>A definition that is not in <see cref="MetricsColumn.All"/>: what a new metric is, for the page.</summary>
    internal static readonly MetricsColumn Added = new("discarded_share", "1", "Share of the received updates the rule discarded.",
        r => r.Received > 0 ? (double)r.Suspects / r.Received : double.NaN, "0.000") { DashboardKey = "ds", Label = "discarded share", Chart = "added for the spec" };

    [Fact]
    public async Task A_column_added_to_the_definitions_is_listed_and_sent_in_the_rows_with_no_other_change()
    {
        IReadOnlyList<MetricsColumn> columns = [.. MetricsColumn.All, Added];
        var state = new DashboardState("train", columns: columns);
        AssertListed(columns, await ServedColumns(state));
        state.RunStarted(Run);
        state.Row(Row);
        using var json = JsonDocument.Parse(state.Snapshot().Json);
        Assert.Equal(8.0 / 17, json.RootElement.GetProperty("rows")[0].GetProperty("ds").GetDouble());
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
