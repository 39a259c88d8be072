using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary><c>akkabyz.attack</c> → AkkaByz.Core's <see cref="AttackRegistry"/> (the attack spec language).</summary>
public static partial class AttackCatalog
{
    /// <summary>
    /// The attack factory, or null when the attack is <c>none</c>. <paramref name="aggregators"/> is the run's rule
    /// factory (n, f) ↦ rule, handed to the adaptive attacks (Opt-IPM, Opt-ALIE), which run the server's rule.
    /// </summary>
    /// <exception cref="SettingsException">Unknown attack or bad parameter.</exception>
    public static Func<IAttack>? Factory(string spec, Func<int, int, IAggregator>? aggregators = null)
    {
        var environment = new AttackEnvironment(aggregators);
        IAttack probe;
        try
        {
            probe = AttackRegistry.Create(spec, environment);
        }
        catch (AttackSpecException e)
        {
            var hint = UnknownAttack().Match(e.Problem) is { Success: true } unknown ? Suggestions.DidYouMean(unknown.Groups[1].Value, AttackRegistry.Names) : "";
            throw new SettingsException($"akkabyz.attack = \"{spec}\": {e.Problem}{hint}; every attack: akkabyz train --help, docs/learning.md (Attacks).", e);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"akkabyz.attack = \"{spec}\": {SettingsException.Plain(e.Message)}", e);
        }
        if (probe is NoAttack) return null;
        return () => AttackRegistry.Create(spec, environment);
    }

    [System.Text.RegularExpressions.GeneratedRegex("unknown attack '([^']*)'")]
    private static partial System.Text.RegularExpressions.Regex UnknownAttack();
}
