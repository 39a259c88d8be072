using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaByz.Dashboard;

/// <summary>
/// The live dashboard: one page (embedded: index.html, app.js, style.css and the vendored uPlot), the per-round column
/// list at /api/columns (<see cref="DashboardState.ColumnsJson"/>, read by the page first), a JSON snapshot at /state and
/// server-sent events at /events (a snapshot, then deltas at most every <see cref="MinInterval"/>).
/// Binds 127.0.0.1 by default; bound to any other address it prints a warning and requires a random token in the
/// URL (?token=...), which the printed URL carries.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>The shortest time between two events to one page: the run's actors never wait for the page.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, string url, string? token)
    {
        _app = app;
        Url = url;
        Token = token;
    }

    /// <summary>The address to open, with the token when one is required.</summary>
    public string Url { get; }

    public string? Token { get; }

    /// <summary>Starts the server; <paramref name="port"/> 0 = any free port.</summary>
    /// <exception cref="Runtime.Configuration.SettingsException">The address cannot be bound (port in use, unknown host).</exception>
    public static async Task<DashboardServer> StartAsync(DashboardState state, string host, int port, TextWriter? warnings, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var loopback = Endpoints.IsLoopback(host);
        string? token = loopback ? null : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => Endpoints.Listen(k, host, port, "--dashboard"));
        var app = builder.Build();
        if (token is not null)
        {
            var expected = Encoding.ASCII.GetBytes(token);
            app.Use(async (context, next) =>
            {
                var given = Encoding.ASCII.GetBytes(context.Request.Query["token"].ToString());
                if (!CryptographicOperations.FixedTimeEquals(given, expected))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await context.Response.WriteAsync("akkabyz dashboard: this address needs the token printed at start (?token=...).\n").ConfigureAwait(false);
                    return;
                }
                await next(context).ConfigureAwait(false);
            });
        }
        app.MapGet("/", (HttpContext c) => Asset(c, "index.html"));
        app.MapGet("/assets/{**path}", (HttpContext c, string path) => Asset(c, path));
        app.MapGet("/state", (HttpContext c) =>
        {
            c.Response.Headers.CacheControl = "no-store";
            return Results.Text(state.Snapshot().Json, "application/json");
        });
        app.MapGet("/events", (HttpContext c) => Events(c, state));
        app.MapGet("/api/columns", (HttpContext c) =>
        {
            c.Response.Headers.CacheControl = "no-cache";
            return Results.Text(state.ColumnsJson, "application/json");
        });
        try
        {
            await app.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new Runtime.Configuration.SettingsException($"--dashboard: cannot listen on {host}:{port}: {e.Message}", e);
        }
        var bound = Endpoints.BoundPort(app.Services.GetRequiredService<IServer>(), port);
        var url = $"http://{Endpoints.UrlHost(host)}:{bound}/" + (token is null ? "" : $"?token={token}");
        if (!loopback)
            warnings?.WriteLine($"warning: the dashboard listens on {host}, reachable from other machines; it shows the run to anyone with the URL " +
                                "(its random token is in it) and it is plain HTTP.");
        return new DashboardServer(app, url, token);
    }

    private static readonly Assembly Assets = typeof(DashboardServer).Assembly;

    private static IResult Asset(HttpContext c, string path)
    {
        if (path.Contains("..", StringComparison.Ordinal)) return Results.NotFound();
        var stream = Assets.GetManifestResourceStream("assets/" + path);
        if (stream is null) return Results.NotFound();
        c.Response.Headers.CacheControl = "no-cache";
        var type = Path.GetExtension(path) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "text/plain; charset=utf-8",
        };
        return Results.Stream(stream, type);
    }

    /// <summary>Server-sent events: "snapshot" first (and again after the rows were decimated), then "delta"s.</summary>
    private static async Task Events(HttpContext c, DashboardState state)
    {
        var ct = c.RequestAborted;
        c.Response.Headers.ContentType = "text/event-stream";
        c.Response.Headers.CacheControl = "no-store";
        using var signal = new SemaphoreSlim(0, 1);
        void OnChanged()
        {
            try { if (signal.CurrentCount == 0) signal.Release(); }
            catch (SemaphoreFullException) { }
            catch (ObjectDisposedException) { }
        }
        state.Changed += OnChanged;
        try
        {
            var (json, generation, seq) = state.Snapshot();
            await Send(c.Response, "snapshot", json, ct).ConfigureAwait(false);
            while (!ct.IsCancellationRequested)
            {
                if (!await signal.WaitAsync(TimeSpan.FromSeconds(15), ct).ConfigureAwait(false))
                {
                    await c.Response.WriteAsync(": keep-alive\n\n", ct).ConfigureAwait(false);
                    await c.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    continue;
                }
                await Task.Delay(MinInterval, ct).ConfigureAwait(false); // gather the changes of a quarter second into one event
                string kind;
                if (state.Generation != generation)
                {
                    (json, generation, seq) = state.Snapshot();
                    kind = "snapshot";
                }
                else
                {
                    (json, generation, seq) = state.Delta(seq);
                    kind = "delta";
                }
                await Send(c.Response, kind, json, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            state.Changed -= OnChanged;
        }
    }

    private static async Task Send(HttpResponse response, string kind, string json, CancellationToken ct)
    {
        await response.WriteAsync($"event: {kind}\ndata: {json}\n\n", ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Binding helpers shared by the dashboard and the metrics endpoint.</summary>
internal static class Endpoints
{
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    public static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions k, string host, int port, string flag)
    {
        if (port is < 0 or > 65535) throw new Runtime.Configuration.SettingsException($"{flag}: {port} is not a TCP port (0..65535).");
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) host = "127.0.0.1";
        if (IPAddress.TryParse(host, out var ip))
        {
            k.Listen(ip, port);
            return;
        }
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new Runtime.Configuration.SettingsException($"{flag}: cannot resolve host '{host}': {e.Message}", e);
        }
        if (addresses.Length == 0) throw new Runtime.Configuration.SettingsException($"{flag}: host '{host}' has no address.");
        k.Listen(addresses[0], port);
    }

    public static int BoundPort(IServer server, int requested)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return address is not null && Uri.TryCreate(address.Replace("[::]", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Port : requested;
    }

    public static string UrlHost(string host) =>
        IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
}
