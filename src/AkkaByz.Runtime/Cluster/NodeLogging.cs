using Microsoft.Extensions.Logging;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// A node's log through Microsoft.Extensions.Logging, Akka's own log included (Akka.Hosting's LoggerFactoryLogger
/// hands every Akka log event to this factory): one readable line per event on the node's output,
/// <c>[HH:mm:ss.fff] warning Cluster: message</c>, the same time format as the node's progress lines. An exception adds
/// its type and message on the same line; its stack trace only at debug level and below. <c>--raw-log</c> keeps Akka's
/// own StandardOutLogger lines instead. It is also the host's only logging provider (<see cref="ILoggerProvider"/>), so
/// the generic host's and Akka.Hosting's own messages come out in the same format.
/// </summary>
public sealed class NodeLoggerFactory(TextWriter output, LogLevel minimum) : ILoggerFactory, ILoggerProvider
{
    private readonly Lock _write = new();

    /// <summary>The names <c>--log-level</c> accepts, most verbose first.</summary>
    public static readonly IReadOnlyList<string> Levels = ["trace", "debug", "info", "warning", "error", "off"];

    /// <summary>The least severe level written.</summary>
    public LogLevel Minimum { get; } = minimum;

    /// <summary><c>--log-level</c> name → level.</summary>
    /// <exception cref="Configuration.SettingsException">An unknown name.</exception>
    public static LogLevel Parse(string name) => name.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "off" => LogLevel.None,
        _ => throw new Configuration.SettingsException($"--log-level: '{name}' is not one of {string.Join(", ", Levels)}."),
    };

    /// <summary>The matching <c>akka.loglevel</c> (Akka filters before publishing).</summary>
    public static string AkkaLevel(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error or LogLevel.Critical => "ERROR",
        _ => "OFF",
    };

    public ILogger CreateLogger(string categoryName) => new Logger(this, Short(categoryName));

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("NodeLoggerFactory writes to the node's output only.");

    public void Dispose() { }

    /// <summary>"Akka.Cluster.ClusterCoreDaemon" → "ClusterCoreDaemon"; generic arity and nested-type marks dropped.</summary>
    private static string Short(string category)
    {
        var name = category.Split('`')[0];
        var dot = name.LastIndexOfAny(['.', '+']);
        return dot >= 0 && dot < name.Length - 1 ? name[(dot + 1)..] : name;
    }

    private static string Name(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "critical",
    };

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        // One event, one line: Akka's messages may contain line breaks (reachability tables, causes).
        // Akka's formatter appends the exception ("Cause: " and its stack trace) on further lines: the first line says it.
        var cause = message.IndexOf("\nCause: ", StringComparison.Ordinal);
        if (cause >= 0 && Minimum > LogLevel.Debug) message = message[..cause];
        var text = message.ReplaceLineEndings(" ").Trim();
        if (exception is not null)
        {
            var root = exception;
            while (root.InnerException is not null && root is AggregateException or System.Reflection.TargetInvocationException) root = root.InnerException;
            text += $" ({root.GetType().Name}: {root.Message.ReplaceLineEndings(" ")})";
        }
        var line = $"[{DateTime.UtcNow:HH:mm:ss.fff}] {Name(level)} {category}: {text}";
        lock (_write)
        {
            output.WriteLine(line);
            if (exception is not null && Minimum <= LogLevel.Debug) output.WriteLine(exception.ToString());
        }
    }

    private static readonly System.Text.RegularExpressions.Regex AkkaPrefix =
        new(@"^\[[A-Z]+\]\[[^\]]*\]\[Thread \d+\]\[[^\]]*\]\s*", System.Text.RegularExpressions.RegexOptions.Compiled);

    private sealed class Logger(NodeLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= factory.Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            // Akka.Hosting's state carries the event's actor path; its formatted text repeats Akka's own prefix
            // ([LEVEL][date][Thread n][source]), which the line's own time, level and source replace.
            var source = category;
            if (state is IEnumerable<KeyValuePair<string, object?>> fields)
                foreach (var (key, value) in fields)
                    if (key == "ActorPath" && value?.ToString() is { Length: > 0 } path)
                        source = path.IndexOf("/system/", StringComparison.Ordinal) is var s and >= 0 ? path[s..]
                            : path.IndexOf("/user/", StringComparison.Ordinal) is var u and >= 0 ? path[u..] : path;
            factory.Write(logLevel, source, AkkaPrefix.Replace(formatter(state, exception), "", 1), exception);
        }
    }
}
