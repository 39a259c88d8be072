using AkkaByz.Core.Aggregation;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Composition;

/// <summary><c>akkabyz.aggregator</c> → AkkaByz.Core's <see cref="AggregatorSpec"/> (parsed once, built per input count).</summary>
public static class AggregatorCatalog
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
        catch (Exception e) when (e is AggregatorSpecException or ArgumentException)
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
}
