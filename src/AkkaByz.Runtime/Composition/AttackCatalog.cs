using AkkaByz.Core.Attacks;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary><c>akkabyz.attack</c> → AkkaByz.Core's <see cref="AttackRegistry"/>.</summary>
public static class AttackCatalog
{
    /// <summary>The attack factory, or null when the attack is <c>none</c>.</summary>
    /// <exception cref="SettingsException">Unknown attack or bad parameter.</exception>
    public static Func<IAttack>? Factory(string spec)
    {
        IAttack probe;
        try
        {
            probe = AttackRegistry.Create(spec);
        }
        catch (ArgumentException e)
        {
            var name = spec.Split('(')[0].Trim();
            var hint = Suggestions.DidYouMean(name, AttackRegistry.Names.Select(n => n.Split('(')[0]));
            throw new SettingsException($"akkabyz.attack = \"{spec}\": {(hint.Length > 0 ? SettingsException.Plain(e.Message).TrimEnd().TrimEnd('.') + hint + "." : e.Message)}", e);
        }
        if (probe.Name.StartsWith("none", StringComparison.OrdinalIgnoreCase)) return null;
        return () => AttackRegistry.Create(spec);
    }
}
