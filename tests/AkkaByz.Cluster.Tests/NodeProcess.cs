using System.Collections.Concurrent;
using System.Diagnostics;

namespace AkkaByz.Cluster.Tests;

/// <summary>One `akkabyz node` child process; its output lines are kept (and echoed on failure) and can be awaited.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _newLine = new(0);

    public NodeProcess(string label, string executable, IEnumerable<string> arguments, string workingDirectory)
    {
        Label = label;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add(executable);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Label { get; }

    public IEnumerable<string> Lines => _lines;

    public bool HasExited => _process.HasExited;

    private void Add(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        _newLine.Release();
    }

    /// <summary>Waits until a line matching <paramref name="match"/> has been printed; false on timeout or exit.</summary>
    public async Task<string?> WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            var hit = _lines.FirstOrDefault(match);
            if (hit is not null) return hit;
            if (_process.HasExited && !await _newLine.WaitAsync(100)) return _lines.FirstOrDefault(match);
            await _newLine.WaitAsync(TimeSpan.FromMilliseconds(200));
        }
        return null;
    }

    /// <summary>The exit code, or null if still running after <paramref name="timeout"/>.</summary>
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

    /// <summary>SIGKILL (kill -9) of the process and its children: no goodbye to the cluster.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
    }

    /// <summary>SIGTERM, as <c>kill</c>, systemd or <c>docker stop</c> send it (the process may shut down gracefully).</summary>
    public void Terminate()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 15);
    }

    /// <summary>SIGSTOP: the process freezes (as a paused VM or a long GC would), without closing its sockets.</summary>
    public void Freeze()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 19);
    }

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw()
    {
        if (!_process.HasExited) _ = SysKill(_process.Id, 18);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    public string Transcript() => $"---- {Label} ----\n" + string.Join("\n", _lines);

    public void Dispose()
    {
        try { KillHard(); } catch (InvalidOperationException) { }
        _process.Dispose();
        _newLine.Dispose();
    }
}
