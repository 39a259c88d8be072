using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation;

/// <summary>
/// The public door to the rule catalog: a rule written outside AkkaByz.Core (a plugin assembly, a test) registers
/// here once and is then named in specs like a built-in one — <c>myrule</c>, <c>myrule(k=3)</c>, <c>ctma(myrule)</c> —
/// with the same parameter validation, error messages, help text and docs table. A registered rule is any
/// <see cref="IAggregator"/>; the catalog wraps it so meta-rules can use it as their inner rule.
/// </summary>
public static class RuleRegistry
{
    /// <summary>
    /// Adds a rule. <paramref name="build"/> gets the parsed spec (read parameters with
    /// <see cref="AggregatorSpec.Parameter"/>), m, f and a seed, and throws <see cref="ArgumentException"/> when the
    /// (m, f) pair violates the rule's bound.
    /// </summary>
    /// <exception cref="ArgumentException">The name is taken or not a valid spec name.</exception>
    public static void Register(string name, string usage, string summary, IReadOnlyList<RuleParameter> parameters,
        Func<AggregatorSpec, int, int, int, IAggregator> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var canonical = CheckName(name);
        RuleCatalog.Add(new RuleInfo(canonical, false, [.. parameters], usage, summary,
            (spec, m, f, seed) => new RegisteredRule(spec.ToString(), m, f, build(spec, m, f, seed))));
    }

    /// <summary>Removes a registered rule (built-in rules cannot be removed); false when none has that name.</summary>
    public static bool Unregister(string name) => RuleCatalog.Remove(name.Trim().ToLowerInvariant());

    /// <summary>Every rule name (built-in first), as the spec parser accepts them.</summary>
    public static IReadOnlyList<string> Names => AggregatorSpec.RuleNames;

    /// <summary>Every rule with its usage, summary and whether it wraps an inner rule (for help texts and docs tables).</summary>
    public static IReadOnlyList<(string Name, string Usage, string Summary, bool IsMeta)> Describe() =>
        RuleCatalog.All.Select(r => (r.Name, r.Usage, r.Summary, r.IsMeta)).ToArray();

    /// <summary>True when <paramref name="name"/> is a registered or built-in rule.</summary>
    public static bool Contains(string name) => RuleCatalog.Find(name.Trim().ToLowerInvariant()) is not null;

    internal static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var canonical = name.Trim().ToLowerInvariant();
        if (!canonical.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '_' or '-') || !char.IsAsciiLetter(canonical[0]))
            throw new ArgumentException($"'{name}' is not a spec name: use letters, digits, '+', '_' or '-', starting with a letter.", nameof(name));
        return canonical;
    }

    /// <summary>A rule from outside Core behind the catalog's base class (inputs are validated, then the rule runs).</summary>
    private sealed class RegisteredRule : AggregatorBase
    {
        private readonly IAggregator _rule;
        private readonly string _spec;

        public RegisteredRule(string spec, int m, int f, IAggregator rule) : base(m, f)
        {
            ArgumentNullException.ThrowIfNull(rule);
            if (rule.M != m || rule.F != f)
                throw new ArgumentException($"the registered rule '{spec}' was asked for m = {m}, f = {f} but built m = {rule.M}, f = {rule.F}.");
            _rule = rule;
            _spec = spec;
        }

        public override string Spec => _spec;

        internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
        {
            if (checkFinite) NonFinite.ThrowIfAny(inputs, output.Length);
            return _rule.Aggregate(inputs, output);
        }
    }
}
