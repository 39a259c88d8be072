using System.CommandLine;

namespace AkkaByz.Cli.Commands;

/// <summary><c>akkabyz train</c>. (Filled in by the runtime work.)</summary>
public static class TrainCommand
{
    public static Command Create() => new("train", "Train in a local actor system (not yet implemented).");
}
