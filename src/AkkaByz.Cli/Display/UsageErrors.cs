using System.CommandLine;
using System.CommandLine.Parsing;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Cli.Display;

/// <summary>
/// Command-line mistakes as one line: which command, what is wrong, and the closest known name when one is near
/// (<c>akkabyz train: unknown option '--rouns' (did you mean '--rounds'?)</c>). The caller exits 2.
/// </summary>
internal static class UsageErrors
{
    /// <summary>True when <paramref name="parse"/> is a usage error: a parse error, or an unknown --option taken as a positional argument.</summary>
    public static bool Any(ParseResult parse) => parse.Errors.Count > 0 || OptionAsArgument(parse) is not null;

    /// <summary>An argument value that looks like an option (<c>experiment --bogus x.conf</c> binds --bogus as the grid file).</summary>
    private static string? OptionAsArgument(ParseResult parse) =>
        parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .FirstOrDefault(v => v.StartsWith("--", StringComparison.Ordinal));

    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var prefix = CommandPath(parse.CommandResult);
        var misplaced = OptionAsArgument(parse);
        if (parse.UnmatchedTokens.Count > 0 || misplaced is not null)
        {
            var token = misplaced ?? parse.UnmatchedTokens.FirstOrDefault(t => t.StartsWith('-')) ?? parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var names = AllOptions(parse.CommandResult).SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct().ToArray();
                return $"{prefix}: unknown option '{token}'{Suggestions.DidYouMean(token, names)}; see {prefix} --help.";
            }
            if (command.Subcommands.Count > 0)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToArray();
                return $"{prefix}: unknown command '{token}'{Suggestions.DidYouMean(token, names)}; commands: {string.Join(", ", names)}.";
            }
            return $"{prefix}: unexpected argument '{token}'; see {prefix} --help.";
        }

        var error = parse.Errors[0];
        switch (error.SymbolResult)
        {
            case OptionResult { Option: var option } result when result.Tokens.Count > 0 && IsConversion(error):
                return $"{prefix}: {option.Name}: '{result.Tokens[^1].Value}' is not {Expected(option.ValueType)}.";
            case OptionResult { Option: var option } when error.Message.Contains("Required argument missing", StringComparison.Ordinal):
                return $"{prefix}: {option.Name} needs a value.";
            case CommandResult when command.Subcommands.Count > 0 && !command.Arguments.Any():
                return $"{prefix}: which command? {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))} (see {prefix} --help).";
            case ArgumentResult or CommandResult when error.Message.Contains("Required argument missing", StringComparison.Ordinal):
                return $"{prefix}: missing the {string.Join(" ", command.Arguments.Select(a => a.Name.ToUpperInvariant()))} argument; see {prefix} --help.";
        }
        return $"{prefix}: {error.Message.ReplaceLineEndings(" ").TrimEnd()}";
    }

    private static bool IsConversion(ParseError error) => error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal);

    private static string Expected(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsArray) t = t.GetElementType()!;
        return t == typeof(int) || t == typeof(long) ? "a whole number"
            : t == typeof(double) || t == typeof(float) ? "a number"
            : t == typeof(bool) ? "true or false"
            : "a valid value";
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "akkabyz" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The command's own options and the recursive ones of its parents (--help).</summary>
    private static IEnumerable<Option> AllOptions(CommandResult result)
    {
        foreach (var o in result.Command.Options) yield return o;
        for (var r = result.Parent; r is not null; r = r.Parent)
            if (r is CommandResult c)
                foreach (var o in c.Command.Options.Where(o => o.Recursive)) yield return o;
    }
}
