using System.CommandLine;

namespace AkkaByz.Cli.Commands;

/// <summary><c>akkabyz bench ...</c>: benchmarks that print their figures.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks: aggregation kernels, models, runtime, transport, memory soak.");
        bench.Subcommands.Add(BenchAggregatorsCommand.Create());
        bench.Subcommands.Add(BenchModelsCommand.Create());
        bench.Subcommands.Add(BenchRuntimeCommand.Create());
        bench.Subcommands.Add(BenchTransportCommand.Create());
        bench.Subcommands.Add(BenchAggregationCostCommand.Create());
        bench.Subcommands.Add(BenchSoakCommand.Create());
        bench.Subcommands.Add(BenchAttacksCommand.Create());
        bench.Subcommands.Add(BenchEngineCommand.Create());
        return bench;
    }
}
