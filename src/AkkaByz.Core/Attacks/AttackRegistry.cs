using System.Globalization;

namespace AkkaByz.Core.Attacks;

/// <summary>
/// The one place where attack names map to implementations. Specs: <c>none</c>, <c>sf</c>, <c>lf</c>,
/// <c>ipm</c> / <c>ipm(0.5)</c> / <c>ipm(eps=0.5)</c>, <c>alie</c> / <c>alie(z=1.5)</c>, <c>gaussian</c> /
/// <c>gaussian(sigma=2)</c>, <c>mimic</c> / <c>mimic(target=3)</c>, <c>nan</c>, <c>inf</c>. Case-insensitive.
/// </summary>
public static class AttackRegistry
{
    /// <summary>Valid names, for help and error texts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "sf", "lf", "ipm(eps=0.5)", "alie", "gaussian(sigma=1)", "mimic", "nan", "inf"];

    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones) or bad parameter.</exception>
    public static IAttack Create(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim().ToLowerInvariant().Replace(" ", "");
        var open = text.IndexOf('(');
        string name = text, args = "";
        if (open >= 0)
        {
            if (!text.EndsWith(')')) throw new ArgumentException($"Attack spec '{spec}' has an unclosed parenthesis.", nameof(spec));
            name = text[..open];
            args = text[(open + 1)..^1];
        }
        return name switch
        {
            "none" or "honest" => NoArgs(spec, args, new NoAttack()),
            "sf" or "signflip" or "sign-flip" => NoArgs(spec, args, new SignFlipAttack()),
            "lf" or "labelflip" or "label-flip" => NoArgs(spec, args, new LabelFlipAttack()),
            "ipm" or "empire" => new IpmAttack(Number(spec, args, "eps", 0.5)),
            "alie" or "little" => args.Length == 0 ? new AlieAttack() : new AlieAttack(Number(spec, args, "z", double.NaN)),
            "gaussian" or "noise" => new GaussianAttack(Number(spec, args, "sigma", 1.0)),
            "mimic" => new MimicAttack((int)Number(spec, args, "target", 0)),
            "nan" => NoArgs(spec, args, new NonFiniteAttack(float.NaN)),
            "inf" => NoArgs(spec, args, new NonFiniteAttack(float.PositiveInfinity)),
            _ => throw new ArgumentException($"Unknown attack '{spec}'. Valid attacks: {string.Join(", ", Names)}.", nameof(spec)),
        };
    }

    private static IAttack NoArgs(string spec, string args, IAttack attack) =>
        args.Length == 0 ? attack : throw new ArgumentException($"Attack '{attack.Name}' takes no parameters, got '{spec}'.", nameof(spec));

    private static double Number(string spec, string args, string key, double fallback)
    {
        if (args.Length == 0) return fallback;
        var value = args;
        var eq = args.IndexOf('=');
        if (eq >= 0)
        {
            if (args[..eq] != key)
                throw new ArgumentException($"Attack spec '{spec}': unknown parameter '{args[..eq]}', expected '{key}'.", nameof(spec));
            value = args[(eq + 1)..];
        }
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) || !double.IsFinite(result))
            throw new ArgumentException($"Attack spec '{spec}': '{value}' is not a finite number for '{key}'.", nameof(spec));
        return result;
    }
}
