using System.Collections.Concurrent;
using System.Diagnostics;

namespace AkkaByz.Dashboard.Tests;

/// <summary>One `akkabyz` child process on 127.0.0.1; its output lines are kept and can be awaited; killed on dispose.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    public CliProcess(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliDll);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>akkabyz.dll of the same configuration as this test assembly (found by walking up to the repository).</summary>
    public static string CliDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "AkkaByz.sln"))) continue;
                var cli = Path.Combine(dir.FullName, "src", "AkkaByz.Cli", "bin", configuration, "net10.0", "linux-x64", "akkabyz.dll");
                return File.Exists(cli) ? cli : throw new FileNotFoundException($"akkabyz.dll not found at {cli}; build src/AkkaByz.Cli -c {configuration} first.");
            }
            throw new DirectoryNotFoundException("AkkaByz.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "AkkaByz.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("AkkaByz.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public bool HasExited => _process.HasExited;

    public string Transcript => string.Join("\n", _lines);

    /// <summary>The first line starting with <paramref name="prefix"/>, waiting up to <paramref name="timeout"/>; null on timeout or exit.</summary>
    public async Task<string?> WaitForLine(string prefix, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var hit = _lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (hit is not null) return hit;
            if (_process.HasExited) return _lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            await Task.Delay(50);
        }
        return null;
    }

    public async Task<int?> WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGINT, as Ctrl-C.</summary>
    public void Interrupt()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 2);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
