using AkkaByz.Core.Aggregation;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Composition;

/// <summary><c>akkabyz.aggregator</c> → AkkaByz.Core's <see cref="AggregatorSpec"/> (parsed once, built per input count).</summary>
public static partial class AggregatorCatalog
{
    /// <summary>Parses the spec and checks it can be built for m inputs and f Byzantine; returns the factory (n, f) ↦ rule.</summary>
    /// <exception cref="SettingsException">Malformed spec or an (m, f) the rule cannot tolerate.</exception>
    public static Func<int, int, IAggregator> Factory(string text, int m, int f, int seed)
    {
        AggregatorSpec spec;
        try
        {
            spec = AggregatorSpec.Parse(text);
        }
        catch (AggregatorSpecException e)
        {
            // The problem alone: Core's message goes on with the whole syntax help (1,500 characters on one line).
            var hint = UnknownRule().Match(e.Problem) is { Success: true } unknown ? Suggestions.DidYouMean(unknown.Groups[1].Value, AggregatorSpec.RuleNames) : "";
            throw new SettingsException($"akkabyz.aggregator = \"{text}\": {e.Problem}{hint}; spec syntax and every rule: docs/aggregators.md.", e);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"akkabyz.aggregator = \"{text}\": {e.Message}", e);
        }
        var ruleSeed = Seeds.DeriveInt(seed, Seeds.Aggregator);
        try
        {
            spec.Build(m, f, ruleSeed);
        }
        catch (Exception e) when (e is AggregatorSpecException or ArgumentException)
        {
            throw new SettingsException($"akkabyz.aggregator = \"{text}\" with m = {m}, f = {f}: {e.Message}", e);
        }
        return (n, tolerated) => spec.Build(n, tolerated, ruleSeed);
    }

    [System.Text.RegularExpressions.GeneratedRegex("unknown rule '([^']*)'")]
    private static partial System.Text.RegularExpressions.Regex UnknownRule();
}
