using System.Text;

namespace AkkaByz.Core.Aggregation;

/// <summary>
/// A parsed aggregator spec, the one language in which rules are named (command line, HOCON):
/// <c>name</c>, <c>name(param=value,...)</c>, <c>meta(inner)</c>, <c>meta(param=value,inner)</c>; meta-rules nest,
/// e.g. <c>ctma(nnm(geomed(iters=5)))</c>. Names are case-insensitive, whitespace is ignored. The spec never carries
/// f: <see cref="Build"/> takes the run's m and f (and a seed for randomised rules) and validates each rule's bound.
/// </summary>
public sealed class AggregatorSpec
{
    private readonly SortedDictionary<string, double> _parameters;

    private AggregatorSpec(RuleInfo rule, SortedDictionary<string, double> parameters, AggregatorSpec? inner)
    {
        Rule = rule;
        _parameters = parameters;
        Inner = inner;
    }

    internal RuleInfo Rule { get; }

    /// <summary>The rule's name, lower case (e.g. <c>ctma</c>).</summary>
    public string Name => Rule.Name;

    /// <summary>Explicit parameters (name → value); defaults are not listed.</summary>
    public IReadOnlyDictionary<string, double> Parameters => _parameters;

    /// <summary>The wrapped rule of a meta-rule; null for a baseline.</summary>
    public AggregatorSpec? Inner { get; }

    /// <summary>The valid rule names.</summary>
    public static IReadOnlyList<string> RuleNames => RuleCatalog.All.Select(r => r.Name).ToArray();

    /// <summary>Every rule's usage and summary, one line each, for help texts.</summary>
    public static IReadOnlyList<string> RuleUsages => RuleCatalog.All.Select(r => $"{r.Usage,-24} {r.Summary}").ToArray();

    /// <summary>The syntax and the valid rules (the text every spec error carries).</summary>
    public static string SyntaxHelp => BuildHelp();

    /// <summary>Parses <paramref name="text"/>; throws <see cref="AggregatorSpecException"/> listing what is valid.</summary>
    public static AggregatorSpec Parse(string text)
    {
        var node = Grammar.Parse(text);
        return From(node);
    }

    /// <summary>Parses without throwing; <paramref name="error"/> holds the message on failure.</summary>
    public static bool TryParse(string text, out AggregatorSpec? spec, out string? error)
    {
        try { spec = Parse(text); error = null; return true; }
        catch (AggregatorSpecException e) { spec = null; error = e.Message; return false; }
    }

    /// <summary>
    /// Builds an instance for m inputs per call of which at most f are Byzantine, validating every bound
    /// (f &lt; m/2 everywhere; m &gt; 2f for CWTM; m &gt; 2f + 2 for Krum; m ≥ 4f + 3 for Bulyan; ⌈m/s⌉ &gt; 2f for
    /// Bucketing; q ≤ m − f).
    /// <paramref name="seed"/> seeds randomised rules (Bucketing's permutations).
    /// </summary>
    /// <exception cref="ArgumentException">A bound is violated (the message says which and why).</exception>
    public IAggregator Build(int m, int f, int seed = 0)
    {
        var a = BuildCore(m, f, seed);
        if (a.HasState) a.UseState(new AggregatorState(a.Spec));
        return a;
    }

    internal AggregatorBase BuildCore(int m, int f, int seed)
    {
        try
        {
            return Rule.Build(this, m, f, seed);
        }
        catch (ArgumentException e) when (e is not AggregatorSpecException && !e.Message.StartsWith("Cannot build", StringComparison.Ordinal))
        {
            string msg = e is ArgumentOutOfRangeException { Message: var full } aoore && aoore.ParamName is { } pn
                ? full.Split(" (Parameter '" + pn + "')")[0]
                : e.Message;
            throw new ArgumentException($"Cannot build aggregator '{this}' for m = {m}, f = {f}: {msg}", e);
        }
    }

    internal double Get(string name, double fallback) => _parameters.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>The value of parameter <paramref name="name"/>, or <paramref name="fallback"/> when the spec does not give it
    /// (for a choice parameter: the index of the chosen word).</summary>
    public double Parameter(string name, double fallback) => Get(name, fallback);

    /// <summary>The canonical text: lower case, no spaces, parameters in name order before the inner rule.</summary>
    public override string ToString()
    {
        var items = _parameters.Select(kv => kv.Key + "=" + Specs.SpecNode.Format(Rule.Parameters.First(p => p.Name == kv.Key), kv.Value)).ToList();
        if (Inner is not null) items.Add(Inner.ToString());
        return items.Count == 0 ? Name : $"{Name}({string.Join(",", items)})";
    }

    /// <summary>The shared spec grammar over the rule catalog (the same parser reads attacks and partitions).</summary>
    internal static readonly Specs.SpecGrammar Grammar = new("rule", RuleCatalog.Find, () => RuleCatalog.All.Select(r => r.Name),
        (text, problem) => new AggregatorSpecException(text, problem));

    private static AggregatorSpec From(Specs.SpecNode node) =>
        new((RuleInfo)node.Entry, node.Values, node.Inner is null ? null : From(node.Inner));

    private static string BuildHelp()
    {
        var sb = new StringBuilder();
        sb.AppendLine("Aggregator spec syntax: name | name(param=value,...) | meta(inner) | meta(param=value,...,inner). Rules:");
        foreach (var r in RuleCatalog.All) sb.AppendLine($"  {r.Usage,-24} {r.Summary}");
        sb.Append($"Meta-rules ({string.Join(", ", RuleCatalog.All.Where(r => r.IsMeta).Select(r => r.Name))}) wrap any rule, including each other. " +
                  "f is the run's f, not part of the spec. Examples: ctma(cwtm), nnm(cwmed), ctma(nnm(geomed)), " +
                  "bucketing(s=2,krum), geomed(iters=5,nu=0.01), multikrum(q=5), ctma(bulyan), arc(nnm(cwtm)), clip(c=5,cwmed).");
        return sb.ToString();
    }
}
