using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace AkkaByz.Cli.Display;

/// <summary>
/// The Akka logger of <c>akkabyz train</c>: the run's warnings and errors (rejected updates, deadlines, crashes) on
/// stderr in the command's own format — "warning: aggregator: Round 12: deadline (500 ms) fired ..." — instead of
/// Akka's "[WARNING][date][thread][akka://...]" lines. Info and debug events are dropped (the log level decides which
/// reach it).
/// </summary>
public sealed class ConsoleLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>The Akka configuration that installs it.</summary>
    public const string Hocon = "akka.loggers = [\"AkkaByz.Cli.Display.ConsoleLogger, akkabyz\"]";

    public ConsoleLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<Warning>(e => Write("warning", e));
        Receive<Error>(e => Write("error", e));
        Receive<LogEvent>(_ => { });
    }

    private static void Write(string level, LogEvent e)
    {
        var source = e.LogSource ?? "";
        var slash = source.LastIndexOf('/');
        if (slash >= 0) source = source[(slash + 1)..];
        var message = e.Message?.ToString() ?? "";
        if (e is Error { Cause: { } cause } && !message.Contains(cause.Message, StringComparison.Ordinal)) message += $" ({cause.GetType().Name}: {cause.Message})";
        Console.Error.WriteLine($"{level}: {(source.Length > 0 ? source + ": " : "")}{message.ReplaceLineEndings(" ")}");
    }
}
