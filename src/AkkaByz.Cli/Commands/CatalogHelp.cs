using System.CommandLine;
using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;
using AkkaByz.Core.Data;

namespace AkkaByz.Cli.Commands;

/// <summary>Help texts read from the catalogs (rules, attacks, partitions), so a new entry appears everywhere at once.</summary>
internal static class CatalogHelp
{
    public static string Attacks => "Attack spec: " + string.Join(" | ", AttackRegistry.Describe().Select(a => a.Usage)) + " (akkabyz attacks).";

    public static string Rules => "Aggregation spec, e.g. ctma(cwtm), nnm(cwtm), ctma(nnm(geomed)); rules: " +
                                  string.Join(", ", RuleRegistry.Names) + " (akkabyz rules).";

    public static string Partitions => string.Join(" | ", Partitioner.Describe().Select(p => p.Usage)) + ".";

    public static Option<string[]> PluginOption() => new("--plugin")
    {
        Description = "Assembly (.dll) that registers rules or attacks through IAkkaByzPlugin (repeatable).",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
}
