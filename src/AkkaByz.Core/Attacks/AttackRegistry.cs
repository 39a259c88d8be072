using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Specs;

namespace AkkaByz.Core.Attacks;

/// <summary>What an attack may know about the run beyond one round: the server's rule (for the adaptive attacks).</summary>
/// <param name="CreateAggregator">The run's aggregation rule for (n inputs, f), as the server builds it; null = unknown.</param>
public sealed record AttackEnvironment(Func<int, int, IAggregator>? CreateAggregator = null)
{
    public static readonly AttackEnvironment None = new();
}

/// <summary>The parsed parameters of one attack spec, handed to its factory.</summary>
public sealed class AttackArguments
{
    private readonly SpecNode _node;

    internal AttackArguments(SpecNode node, AttackEnvironment environment)
    {
        _node = node;
        Environment = environment;
    }

    /// <summary>The canonical spec text (lower case, parameters in name order).</summary>
    public string Spec => _node.ToString();

    public AttackEnvironment Environment { get; }

    /// <summary>True when the spec gives <paramref name="name"/>.</summary>
    public bool Has(string name) => _node.Values.ContainsKey(name);

    /// <summary>The number given for <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public double Number(string name, double fallback) => _node.Values.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>The word given for choice parameter <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string Choice(string name, string fallback) =>
        _node.Values.TryGetValue(name, out var v) ? _node.Entry.Parameters.First(p => p.Name == name).Choices![(int)v] : fallback;
}

/// <summary>
/// One attack of the spec language: its name (and accepted aliases), parameters (the rules' parameter shape; the
/// first may be given without its name, <c>ipm(0.5)</c>), usage and summary for help texts and docs, whether it is
/// omniscient, and its factory.
/// </summary>
public sealed record AttackInfo(
    string Name,
    string[] Aliases,
    RuleParameter[] Parameters,
    string Usage,
    string Summary,
    bool Omniscient,
    Func<AttackArguments, IAttack> Build) : ISpecEntry
{
    bool ISpecEntry.IsMeta => false;
    IReadOnlyList<RuleParameter> ISpecEntry.Parameters => Parameters;
    bool ISpecEntry.AllowsPositional => true;
}

/// <summary>An attack spec that does not parse: the problem, then the attack list (as aggregator spec errors do).</summary>
public sealed class AttackSpecException : ArgumentException
{
    public AttackSpecException(string spec, string problem)
        : base($"Invalid attack spec '{spec}': {problem}.{System.Environment.NewLine}{AttackRegistry.SyntaxHelp}")
    {
        SpecText = spec;
        Problem = problem;
    }

    public string SpecText { get; }
    public string Problem { get; }
}

/// <summary>
/// The one place where attack names map to implementations, in the spec language the aggregators use (same parser,
/// same error messages): <c>none</c>, <c>sf</c>, <c>lf</c>, <c>ipm(eps=0.5)</c>, <c>alie(z=1.5)</c>,
/// <c>gaussian(sigma=1)</c>, <c>mimic(target=0)</c>, <c>minmax(dir=std)</c>, <c>minsum(dir=unit)</c>,
/// <c>optipm(evals=20)</c>, <c>optalie</c>, <c>nan</c>, <c>inf</c>. Case-insensitive; the first parameter may be
/// positional (<c>ipm(0.5)</c>). Plugins add attacks with <see cref="Register"/>; help texts, config validation and
/// the docs table read <see cref="Describe"/>.
/// </summary>
public static class AttackRegistry
{
    private static readonly RuleParameter Eps = RuleParameter.Number("eps");
    private static readonly RuleParameter Z = RuleParameter.Number("z");
    private static readonly RuleParameter Sigma = RuleParameter.Number("sigma", 0);
    private static readonly RuleParameter Target = new("target", true, v => v >= 0 && v <= 1_000_000, "an integer ≥ 0");
    private static readonly RuleParameter Dir = RuleParameter.Choice("dir", "unit", "std", "sign");
    private static readonly RuleParameter Evals = new("evals", true, v => v >= 1 && v <= 10_000, "an integer in [1, 10000]");
    private static readonly RuleParameter Start = RuleParameter.Number("start");
    private static readonly RuleParameter Delta = new("delta", false, v => v != 0, "a non-zero number");
    private static readonly RuleParameter Ratio = new("ratio", false, v => v > 0.5 && v < 1, "a number in (0.5, 1)");

    private static readonly AttackInfo[] BuiltIn =
    [
        new("none", ["honest"], [], "none", "no attack: the Byzantine slots send honest updates (a control)", false, _ => new NoAttack()),
        new("sf", ["signflip", "sign-flip"], [], "sf", "sign flipping: −(own update) (Allen-Zhu et al. 2021)", false, _ => new SignFlipAttack()),
        new("lf", ["labelflip", "label-flip"], [], "lf", "label flipping: trains on labels C − 1 − y (Allen-Zhu et al. 2021)", false, _ => new LabelFlipAttack()),
        new("ipm", ["empire"], [Eps], "ipm(eps=0.5)", "inner-product manipulation: −ε·μ (Xie et al. 2020)", true,
            a => new IpmAttack(a.Number("eps", 0.5))),
        new("alie", ["little"], [Z], "alie(z=formula)", "a little is enough: μ − z·σ, z from (m, f) unless given (Baruch et al. 2019)", true,
            a => a.Has("z") ? new AlieAttack(a.Number("z", 0)) : new AlieAttack()),
        new("gaussian", ["noise"], [Sigma], "gaussian(sigma=1)", "pure noise N(0, σ²I), seeded", false,
            a => new GaussianAttack(a.Number("sigma", 1.0))),
        new("mimic", [], [Target], "mimic(target=0)", "copies one honest worker's vector (Karimireddy et al. 2022)", true,
            a => new MimicAttack((int)a.Number("target", 0))),
        new("minmax", ["min-max"], [Dir], "minmax(dir=std)", "μ + γp, largest γ within the honest max distance (Shejwalkar & Houmansadr 2021)", true,
            a => new MinMaxAttack(ParseDirection(a.Choice("dir", "std")))),
        new("minsum", ["min-sum"], [Dir], "minsum(dir=std)", "μ + γp, largest γ within the honest max sum of squared distances (Shejwalkar & Houmansadr 2021)", true,
            a => new MinSumAttack(ParseDirection(a.Choice("dir", "std")))),
        new("optipm", ["opt-ipm"], [Evals, Start, Delta, Ratio], "optipm(evals=20,start=0,delta=10,ratio=0.8)",
            "IPM with the factor searched against the run's rule: evals aggregations per round (ByzFL)", true,
            a => new OptimalIpmAttack(a.Environment.CreateAggregator, (int)a.Number("evals", 20), a.Number("start", 0), a.Number("delta", 10), a.Number("ratio", 0.8))),
        new("optalie", ["opt-alie"], [Evals, Start, Delta, Ratio], "optalie(evals=20,start=0,delta=10,ratio=0.8)",
            "ALIE μ + τσ with τ searched against the run's rule: evals aggregations per round (ByzFL)", true,
            a => new OptimalAlieAttack(a.Environment.CreateAggregator, (int)a.Number("evals", 20), a.Number("start", 0), a.Number("delta", 10), a.Number("ratio", 0.8))),
        new("nan", [], [], "nan", "every coordinate NaN (validation must reject it)", false, _ => new NonFiniteAttack(float.NaN)),
        new("inf", [], [], "inf", "every coordinate +∞ (validation must reject it)", false, _ => new NonFiniteAttack(float.PositiveInfinity)),
    ];

    private static readonly Lock Gate = new();
    private static AttackInfo[] _registered = [];

    private static readonly SpecGrammar Grammar = new("attack", FindEntry, () => All.Select(a => a.Name),
        (text, problem) => new AttackSpecException(text, problem));

    private static IReadOnlyList<AttackInfo> All => [.. BuiltIn, .. Volatile.Read(ref _registered)];

    /// <summary>Every attack name (built-in first, then registered ones).</summary>
    public static IReadOnlyList<string> Names => All.Select(a => a.Name).ToArray();

    /// <summary>Every attack (built-in first), for help texts and docs tables.</summary>
    public static IReadOnlyList<AttackInfo> Describe() => All;

    /// <summary>The syntax and the attack list (what every attack spec error carries).</summary>
    public static string SyntaxHelp
    {
        get
        {
            var sb = new System.Text.StringBuilder();
            sb.AppendLine("Attack spec syntax: name | name(param=value,...) (same grammar as aggregator specs). Attacks:");
            foreach (var a in All) sb.AppendLine($"  {a.Usage,-46} {a.Summary}");
            sb.Append("Examples: alie, alie(z=1.5), ipm(eps=0.1), minmax(dir=unit), optipm(evals=10).");
            return sb.ToString();
        }
    }

    /// <summary>Adds an attack (e.g. from a plugin); a taken name or alias is refused.</summary>
    public static void Register(AttackInfo attack)
    {
        ArgumentNullException.ThrowIfNull(attack);
        var name = RuleRegistry.CheckName(attack.Name);
        if (name != attack.Name) throw new ArgumentException($"Attack names are lower case: '{attack.Name}'.", nameof(attack));
        lock (Gate)
        {
            foreach (var n in attack.Aliases.Prepend(attack.Name))
                if (Find(n) is { } taken) throw new ArgumentException($"The attack name '{n}' is already registered ({taken.Name}).", nameof(attack));
            _registered = [.. _registered, attack];
        }
    }

    /// <summary>The canonical text of <paramref name="spec"/> (e.g. <c>IPM(0.5)</c> → <c>ipm(eps=0.5)</c>).</summary>
    /// <exception cref="AttackSpecException">Unknown attack, parameter or malformed spec.</exception>
    public static string Canonical(string spec) => Grammar.Parse(spec).ToString();

    /// <summary>True when the attack of <paramref name="spec"/> reads the round's honest vectors.</summary>
    public static bool IsOmniscient(string spec) => ((AttackInfo)Grammar.Parse(spec).Entry).Omniscient;

    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones) or bad parameter
    /// (<see cref="AttackSpecException"/>), or a value the attack's constructor refuses.</exception>
    public static IAttack Create(string spec, AttackEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var node = Grammar.Parse(spec);
        return ((AttackInfo)node.Entry).Build(new AttackArguments(node, environment ?? AttackEnvironment.None));
    }

    private static AttackInfo? Find(string name)
    {
        foreach (var a in BuiltIn) if (a.Name == name || a.Aliases.Contains(name)) return a;
        foreach (var a in Volatile.Read(ref _registered)) if (a.Name == name || a.Aliases.Contains(name)) return a;
        return null;
    }

    private static ISpecEntry? FindEntry(string name) => Find(name);

    private static PerturbationDirection ParseDirection(string word) => word switch
    {
        "unit" => PerturbationDirection.Unit,
        "sign" => PerturbationDirection.Sign,
        _ => PerturbationDirection.Std,
    };
}
