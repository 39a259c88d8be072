using System.Diagnostics;

namespace AkkaByz.Dashboard.Tests;

/// <summary>Where Debian's chromium is.</summary>
public static class Chromium
{
    /// <summary>The browser ($AKKABYZ_CHROMIUM, /usr/bin/chromium, or chromium on PATH); null when absent.</summary>
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("AKKABYZ_CHROMIUM") is { Length: > 0 } env && File.Exists(env)) return env;
        foreach (var dir in new[] { "/usr/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')))
        {
            foreach (var name in new[] { "chromium", "chromium-browser" })
            {
                var candidate = System.IO.Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}

/// <summary>
/// One headless chromium driven over the DevTools protocol (a WebSocket to its page target): navigate, evaluate
/// JavaScript in the page, capture a screenshot — one page that stays open, so its live updates can be watched.
/// </summary>
public sealed class DevToolsPage : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _profile;
    private readonly System.Net.WebSockets.ClientWebSocket _socket = new();
    private int _id;

    private DevToolsPage(Process process, DirectoryInfo profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<DevToolsPage> StartAsync(int width, int height)
    {
        var profile = Directory.CreateTempSubdirectory("akkabyz-chromium-");
        var info = new ProcessStartInfo(Chromium.Path ?? throw new InvalidOperationException("chromium not found"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                     "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile.FullName}",
                     $"--window-size={width},{height}", "about:blank" })
            info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var page = new DevToolsPage(process, profile);
        try
        {
            _ = process.StandardOutput.ReadToEndAsync();
            // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
            string? endpoint = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (endpoint is null)
            {
                var line = await process.StandardError.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("chromium exited before listening");
                var at = line.IndexOf("ws://", StringComparison.Ordinal);
                if (line.Contains("DevTools listening", StringComparison.Ordinal) && at >= 0) endpoint = line[at..].Trim();
            }
            _ = DrainAsync(process.StandardError);
            var port = new Uri(endpoint).Port;
            using var http = new HttpClient();
            var targets = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", cts.Token));
            var target = targets.RootElement.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
            await page._socket.ConnectAsync(new Uri(target.GetProperty("webSocketDebuggerUrl").GetString()!), cts.Token);
            await page.Call("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false });
            return page;
        }
        catch
        {
            await page.DisposeAsync();
            throw;
        }
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        try { while (await reader.ReadLineAsync() is not null) { } }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    public Task Navigate(string url) => Call("Page.navigate", new { url });

    /// <summary>The value of a JavaScript expression evaluated in the page (as a string).</summary>
    public async Task<string> Evaluate(string expression)
    {
        var result = await Call("Runtime.evaluate", new { expression, returnByValue = true });
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v.ToString() : "";
    }

    /// <summary>
    /// Evaluates <paramref name="expression"/> every 100 ms until <paramref name="done"/> holds for its value, and
    /// returns that value; fails the test, naming <paramref name="what"/> and showing the page's text, after 30 s.
    /// </summary>
    public async Task<string> WaitFor(string expression, Func<string, bool> done, string what)
    {
        var value = "";
        for (var i = 0; i < 300; i++)
        {
            value = await Evaluate(expression);
            if (done(value)) return value;
            await Task.Delay(100);
        }
        Assert.Fail($"{what}: still '{value}' after 30 s\n" + await Evaluate("document.body.innerText"));
        return value;
    }

    public async Task<byte[]> Screenshot()
    {
        var result = await Call("Page.captureScreenshot", new { format = "png" });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    private async Task<System.Text.Json.JsonElement> Call(string method, object parameters)
    {
        var id = ++_id;
        var request = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _socket.SendAsync(request, System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            System.Net.WebSockets.WebSocketReceiveResult r;
            do
            {
                r = await _socket.ReceiveAsync(buffer, cts.Token);
                message.Write(buffer, 0, r.Count);
            } while (!r.EndOfMessage);
            using var doc = System.Text.Json.JsonDocument.Parse(message.ToArray());
            if (!doc.RootElement.TryGetProperty("id", out var got) || got.GetInt32() != id) continue; // an event, or another reply
            if (doc.RootElement.TryGetProperty("error", out var error)) throw new InvalidOperationException($"{method}: {error}");
            return doc.RootElement.GetProperty("result").Clone();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == System.Net.WebSockets.WebSocketState.Open)
                await _socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        catch (System.Net.WebSockets.WebSocketException) { }
        _socket.Dispose();
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { _profile.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A test that needs chromium: skipped, saying how to get it, when it is absent.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null)
            Skip = "chromium not found (apt-get install chromium; ./build.sh test installs it when run as root): the headless-browser test of the dashboard is skipped.";
    }
}
