using Microsoft.Extensions.Logging;

namespace AkkaByz.Cli.Display;

/// <summary>
/// The log of <c>akkabyz train</c> and <c>experiment</c> through Microsoft.Extensions.Logging, Akka's own log included
/// (Akka.Hosting's LoggerFactoryLogger): the run's warnings and errors (rejected updates, deadlines, crashes) on stderr
/// in the command's own format — "warning: aggregator: Round 12: deadline (500 ms) fired ..." — instead of Akka's
/// "[WARNING][date][thread][akka://...]" lines; <c>--raw-log</c> keeps those. <c>--log-level</c> decides what is written.
/// </summary>
public sealed class ConsoleLogger(TextWriter error, LogLevel minimum) : ILoggerFactory, ILoggerProvider
{
    private readonly Lock _write = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("ConsoleLogger writes to the command's error stream only.");

    public void Dispose() { }

    private static readonly System.Text.RegularExpressions.Regex AkkaPrefix =
        new(@"^\[[A-Z]+\]\[[^\]]*\]\[Thread \d+\]\[[^\]]*\]\s*", System.Text.RegularExpressions.RegexOptions.Compiled);

    private sealed class Logger(ConsoleLogger owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            // The event's actor: its last path segment ("aggregator", "worker-3").
            var source = "";
            if (state is IEnumerable<KeyValuePair<string, object?>> fields)
                foreach (var (key, value) in fields)
                    if (key == "ActorPath" && value?.ToString() is { Length: > 0 } path)
                        source = path.TrimEnd('/')[(path.TrimEnd('/').LastIndexOf('/') + 1)..];
            var message = AkkaPrefix.Replace(formatter(state, exception), "", 1);
            var cause = message.IndexOf("\nCause: ", StringComparison.Ordinal);
            if (cause >= 0) message = message[..cause];
            if (exception is not null && !message.Contains(exception.Message, StringComparison.Ordinal)) message += $" ({exception.GetType().Name}: {exception.Message})";
            var level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                _ => "error",
            };
            lock (owner._write) owner._error.WriteLine($"{level}: {(source.Length > 0 && source != "deadLetters" ? source + ": " : "")}{message.ReplaceLineEndings(" ").Trim()}");
        }
    }

    private readonly TextWriter _error = error;
    private readonly LogLevel _minimum = minimum;
}
