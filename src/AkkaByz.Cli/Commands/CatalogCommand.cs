using System.CommandLine;
using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;
using AkkaByz.Runtime.Composition;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz rules</c> and <c>akkabyz attacks</c>: the catalogs, as text or as a markdown table (<c>--markdown</c>),
/// including what <c>--plugin</c> assemblies register. The docs tables are checked against them (tests).
/// </summary>
public static class CatalogCommand
{
    public static Command Rules() => Create("rules", "List every aggregation rule and meta-rule of the spec language (with --plugin: also the plugins').",
        markdown => markdown
            ? ["| spec | usage | what it does |", "|---|---|---|", .. RuleRegistry.Describe().Select(r => $"| `{(r.IsMeta ? r.Name + "(A)" : r.Name)}` | `{r.Usage}` | {r.Summary} |")]
            : [.. RuleRegistry.Describe().Select(r => $"{r.Usage,-28} {r.Summary}")]);

    public static Command Attacks() => Create("attacks", "List every attack of the spec language (with --plugin: also the plugins').",
        markdown => markdown
            ? ["| spec | usage | sends | omniscient |", "|---|---|---|---|", .. AttackRegistry.Describe().Select(a => $"| `{a.Name}` | `{a.Usage}` | {a.Summary} | {(a.Omniscient ? "yes" : "no")} |")]
            : [.. AttackRegistry.Describe().Select(a => $"{a.Usage,-46} {a.Summary}{(a.Omniscient ? " [omniscient]" : "")}")]);

    private static Command Create(string name, string description, Func<bool, IReadOnlyList<string>> lines)
    {
        var markdown = new Option<bool>("--markdown") { Description = "A markdown table (what the docs tables list)." };
        var plugins = CatalogHelp.PluginOption();
        var command = new Command(name, description);
        command.Options.Add(markdown);
        command.Options.Add(plugins);
        command.SetAction(parse =>
        {
            try
            {
                PluginLoader.Load(parse.GetValue(plugins) ?? []);
            }
            catch (Runtime.Configuration.SettingsException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"akkabyz {name}: {e.Message}");
                return 2;
            }
            foreach (var line in lines(parse.GetValue(markdown))) parse.InvocationConfiguration.Output.WriteLine(line);
            return 0;
        });
        return command;
    }
}
