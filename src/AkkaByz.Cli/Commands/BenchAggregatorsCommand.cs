using System.CommandLine;

namespace AkkaByz.Cli.Commands;

/// <summary><c>akkabyz bench aggregators</c>. (Filled in by the aggregation work.)</summary>
public static class BenchAggregatorsCommand
{
    public static Command Create() => new("aggregators", "Time each aggregation rule (not yet implemented).");
}
