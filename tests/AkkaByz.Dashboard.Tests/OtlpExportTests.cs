using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AkkaByz.Dashboard.Tests;

/// <summary>
/// <c>akkabyz train --otlp http://127.0.0.1:PORT/v1/metrics</c> against a tiny in-process OTLP/HTTP receiver
/// (HttpListener answering POST /v1/metrics): the exporter must deliver at least one non-empty
/// <c>application/x-protobuf</c> export naming the AkkaByz instruments and the run's service (protobuf strings are
/// plain UTF-8 in the body, so the names are found without decoding it).
/// </summary>
public sealed class OtlpExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkabyz-otlp-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Export(string Method, string Path, string? ContentType, byte[] Body);

    [Fact]
    public async Task Train_exports_the_akkabyz_instruments_by_otlp_http_protobuf()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var exports = new ConcurrentQueue<Export>();
        using var stop = new CancellationTokenSource();
        var receiver = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                exports.Enqueue(new Export(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close(); // an empty ExportMetricsServiceResponse
            }
        });

        using (var run = new CliProcess("train", "--rounds", "300", "--eval-every", "50", "--out", _dir, "--quiet",
                   "--otlp", $"http://127.0.0.1:{port}/v1/metrics"))
        {
            Assert.True(await run.WaitForExit(TimeSpan.FromMinutes(3)) == 0, "train failed:\n" + run.Transcript);
            Assert.Contains($"metrics: OTLP to http://127.0.0.1:{port}/v1/metrics", run.Transcript, StringComparison.Ordinal);
        }
        await stop.CancelAsync();
        listener.Stop();
        await receiver;

        Assert.NotEmpty(exports); // at least the one sent when the run ends
        foreach (var e in exports)
        {
            Assert.Equal("POST", e.Method);
            Assert.Equal("/v1/metrics", e.Path);
            Assert.Equal("application/x-protobuf", e.ContentType?.Split(';')[0]);
        }
        var last = exports.Last().Body;
        Assert.NotEmpty(last);
        var text = Encoding.UTF8.GetString(last); // the strings of the protobuf are readable in it
        Assert.Contains("AkkaByz", text, StringComparison.Ordinal);              // the Meter (instrumentation scope)
        Assert.Contains("akkabyz.rounds", text, StringComparison.Ordinal);       // the rounds counter
        Assert.Contains("akkabyz.round.duration", text, StringComparison.Ordinal);
        Assert.Contains("akkabyz-train", text, StringComparison.Ordinal);        // service.name
    }
}
