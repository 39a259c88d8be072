using System.CommandLine;
using AkkaByz.Cli.Commands;

namespace AkkaByz.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A usage error (unknown option or command, a value of the wrong type, a
    /// missing argument) prints one line on stderr, with the closest known name when one is near, and exits 2 —
    /// the same code as every other usage error the commands report.
    /// </summary>
    public static int Run(string[] args, InvocationConfiguration? configuration = null)
    {
        var parse = BuildRoot().Parse(args);
        if (Display.UsageErrors.Any(parse))
        {
            (configuration?.Error ?? Console.Error).WriteLine(Display.UsageErrors.Describe(parse));
            return 2;
        }
        // Ctrl-C: train and experiment write their outputs for the work done; give them longer than the default 2 s.
        configuration ??= new InvocationConfiguration();
        if (parse.CommandResult.Command.Name is "train" or "experiment") configuration.ProcessTerminationTimeout = TimeSpan.FromSeconds(30);
        // A node runs on the generic host, whose console lifetime handles SIGTERM and SIGINT (graceful stop: the
        // aggregator writes its outputs, the node leaves the cluster); System.CommandLine's own handler stays out.
        else if (parse.CommandResult.Command.Name is "node") configuration.ProcessTerminationTimeout = null;
        return parse.Invoke(configuration);
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
        root.Subcommands.Add(CatalogCommand.Rules());
        root.Subcommands.Add(CatalogCommand.Attacks());
        return root;
    }
}
