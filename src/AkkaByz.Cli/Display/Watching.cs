using System.CommandLine;
using AkkaByz.Dashboard;
using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Cli.Display;

/// <summary>
/// The watch flags shared by train, node and experiment: <c>--dashboard [PORT]</c> (live page), <c>--dashboard-host</c>,
/// <c>--metrics-port PORT</c> (Prometheus scrape endpoint), <c>--metrics-host</c>, <c>--otlp URL</c> (OpenTelemetry
/// exporter). Everything binds 127.0.0.1 unless told otherwise. Nothing starts without a flag.
/// </summary>
internal sealed class WatchOptions
{
    public Option<int?> Dashboard { get; } = new("--dashboard")
    {
        Description = "Serve the live dashboard on 127.0.0.1:PORT (no PORT = any free port); the URL is printed at start.",
        Arity = ArgumentArity.ZeroOrOne,
    };
    public Option<string> DashboardHost { get; } = new("--dashboard-host") { Description = "Address the dashboard binds (default 127.0.0.1; any other needs the printed token)." };
    public Option<int?> MetricsPort { get; } = new("--metrics-port") { Description = "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (OpenTelemetry; 0 = any free port)." };
    public Option<string> MetricsHost { get; } = new("--metrics-host") { Description = "Address the metrics endpoint binds (default 127.0.0.1)." };
    public Option<string> Otlp { get; } = new("--otlp") { Description = "Export metrics by OTLP to URL (http://HOST:4317 = gRPC; a URL ending in /v1/metrics = HTTP/protobuf)." };

    private readonly bool _dashboard;

    public WatchOptions(Command command, bool dashboard = true)
    {
        _dashboard = dashboard;
        if (dashboard)
        {
            command.Options.Add(Dashboard);
            command.Options.Add(DashboardHost);
        }
        command.Options.Add(MetricsPort);
        command.Options.Add(MetricsHost);
        command.Options.Add(Otlp);
    }

    public bool DashboardRequested(ParseResult parse) => _dashboard && parse.GetResult(Dashboard) is { Implicit: false };

    /// <summary>Starts what the flags ask for; the dashboard gets a <see cref="DashboardState"/> subscribed to the run feed.</summary>
    public async Task<Watching> StartAsync(ParseResult parse, string mode, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var watching = new Watching();
        try
        {
            var port = parse.GetValue(MetricsPort);
            if (port is < 0 or > 65535) throw new Runtime.Configuration.SettingsException($"--metrics-port: {port} is not a TCP port (0..65535).");
            watching.Metrics = await MetricsExport.StartAsync(parse.GetValue(MetricsHost) ?? "127.0.0.1", port, parse.GetValue(Otlp), "akkabyz-" + mode, error, cancellation)
                .ConfigureAwait(false);
            if (watching.Metrics?.ScrapeUrl is { } scrape) output.WriteLine($"metrics: {scrape}");
            if (parse.GetValue(Otlp) is { } otlp) output.WriteLine($"metrics: OTLP to {otlp} every {MetricsExport.OtlpInterval.TotalSeconds:0} s");
            if (DashboardRequested(parse))
            {
                watching.State = new DashboardState(mode);
                watching.Feed = RunFeed.Subscribe(watching.State);
                watching.Server = await DashboardServer.StartAsync(watching.State, parse.GetValue(DashboardHost) ?? "127.0.0.1", parse.GetValue(Dashboard) ?? 0, error, cancellation)
                    .ConfigureAwait(false);
                output.WriteLine($"dashboard: {watching.Server.Url}");
            }
            return watching;
        }
        catch
        {
            await watching.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>What <see cref="WatchOptions.StartAsync"/> started; disposing stops it (the OTLP exporter sends its last values).</summary>
internal sealed class Watching : IAsyncDisposable
{
    public MetricsExport? Metrics { get; set; }
    public DashboardState? State { get; set; }
    public IDisposable? Feed { get; set; }
    public DashboardServer? Server { get; set; }

    public async ValueTask DisposeAsync()
    {
        Feed?.Dispose();
        if (Server is not null) await Server.DisposeAsync().ConfigureAwait(false);
        if (Metrics is not null) await Metrics.DisposeAsync().ConfigureAwait(false);
    }
}
