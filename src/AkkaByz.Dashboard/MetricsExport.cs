using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace AkkaByz.Dashboard;

/// <summary>
/// The OpenTelemetry SDK over the "AkkaByz" Meter (<see cref="AkkaByzTelemetry"/>): a Prometheus scrape endpoint
/// (GET /metrics on the metrics port, 127.0.0.1 by default) and/or an OTLP exporter (every 5 s and once more at the
/// end). An OTLP URL whose path ends in /v1/metrics is sent as HTTP/protobuf to that URL; any other as gRPC.
/// </summary>
public sealed class MetricsExport : IAsyncDisposable
{
    public static readonly TimeSpan OtlpInterval = TimeSpan.FromSeconds(5);

    private readonly WebApplication? _app;
    private readonly MeterProvider? _provider;

    private MetricsExport(WebApplication? app, MeterProvider? provider, string? scrapeUrl)
    {
        _app = app;
        _provider = provider;
        ScrapeUrl = scrapeUrl;
    }

    /// <summary>The Prometheus endpoint's address (null without a metrics port).</summary>
    public string? ScrapeUrl { get; }

    /// <param name="port">Prometheus port (null = no scrape endpoint; 0 = any free port).</param>
    /// <param name="otlp">OTLP endpoint URL (null = none).</param>
    /// <param name="service">service.name of the resource (e.g. akkabyz-train, akkabyz-node-aggregator).</param>
    public static async Task<MetricsExport?> StartAsync(string host, int? port, string? otlp, string service, TextWriter? warnings, CancellationToken cancellation = default)
    {
        if (port is null && otlp is null) return null;
        Uri? otlpUri = null;
        if (otlp is not null && (!Uri.TryCreate(otlp, UriKind.Absolute, out otlpUri) || otlpUri.Scheme is not ("http" or "https")))
            throw new SettingsException($"--otlp: '{otlp}' is not an http(s) URL (e.g. http://127.0.0.1:4317 for gRPC, http://127.0.0.1:4318/v1/metrics for HTTP).");

        void Configure(MeterProviderBuilder b)
        {
            b.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service));
            b.AddMeter(AkkaByzTelemetry.MeterName);
            if (port is not null) b.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            if (otlpUri is not null)
                b.AddOtlpExporter((e, reader) =>
                {
                    e.Endpoint = otlpUri;
                    e.Protocol = otlpUri.AbsolutePath.EndsWith("/v1/metrics", StringComparison.Ordinal) ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)OtlpInterval.TotalMilliseconds;
                    reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                });
        }

        if (port is null)
        {
            var builder = Sdk.CreateMeterProviderBuilder();
            Configure(builder);
            return new MetricsExport(null, builder.Build(), null);
        }

        if (!Endpoints.IsLoopback(host))
            warnings?.WriteLine($"warning: the metrics endpoint listens on {host}, reachable from other machines, without authentication.");
        var web = WebApplication.CreateSlimBuilder();
        web.Logging.ClearProviders();
        web.WebHost.UseKestrel(k => Endpoints.Listen(k, host, port.Value, "--metrics-port"));
        web.Services.AddOpenTelemetry().WithMetrics(Configure);
        var app = web.Build();
        app.MapPrometheusScrapingEndpoint();
        try
        {
            await app.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new SettingsException($"--metrics-port: cannot listen on {host}:{port}: {e.Message}", e);
        }
        var bound = Endpoints.BoundPort(app.Services.GetRequiredService<IServer>(), port.Value);
        return new MetricsExport(app, null, $"http://{Endpoints.UrlHost(host)}:{bound}/metrics");
    }

    /// <summary>Exports the last values (OTLP) and stops the endpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            _provider.ForceFlush(5000);
            _provider.Dispose();
        }
        if (_app is not null)
        {
            _app.Services.GetService<MeterProvider>()?.ForceFlush(5000);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _app.StopAsync(stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
