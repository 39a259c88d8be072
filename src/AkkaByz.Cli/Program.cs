using System.CommandLine;
using AkkaByz.Cli.Commands;

namespace AkkaByz.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = BuildRoot();
        return Quiet(root.Parse(args)).Invoke();
    }

    /// <summary>Parse errors print one line each (no help screen, no typo list) and exit non-zero.</summary>
    public static ParseResult Quiet(ParseResult result)
    {
        if (result.Action is System.CommandLine.Invocation.ParseErrorAction errors)
        {
            errors.ShowHelp = false;
            errors.ShowTypoCorrections = false;
        }
        return result;
    }

    /// <summary>The command tree; one file per command under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("AkkaByz: Byzantine-robust synchronous distributed training on Akka.NET (CTMA + µ²-SGD).");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        root.Subcommands.Add(CertsCommand.Create());
        return root;
    }
}
