using System.Globalization;
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
    public static IReadOnlyList<string> RuleNames { get; } = RuleCatalog.Rules.Select(r => r.Name).ToArray();

    /// <summary>Every rule's usage and summary, one line each, for help texts.</summary>
    public static IReadOnlyList<string> RuleUsages { get; } =
        RuleCatalog.Rules.Select(r => $"{r.Usage,-24} {r.Summary}").ToArray();

    /// <summary>The syntax and the valid rules (the text every spec error carries).</summary>
    public static string SyntaxHelp { get; } = BuildHelp();

    /// <summary>Parses <paramref name="text"/>; throws <see cref="AggregatorSpecException"/> listing what is valid.</summary>
    public static AggregatorSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new AggregatorSpecException(text ?? "", "the spec is empty");
        var p = new Parser(text);
        var spec = p.ParseNode();
        p.SkipWs();
        if (!p.AtEnd) throw p.Error($"unexpected '{p.Rest}' after the rule");
        return spec;
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

    /// <summary>The canonical text: lower case, no spaces, parameters in name order before the inner rule.</summary>
    public override string ToString()
    {
        var items = _parameters.Select(kv => kv.Key + "=" + kv.Value.ToString("R", CultureInfo.InvariantCulture)).ToList();
        if (Inner is not null) items.Add(Inner.ToString());
        return items.Count == 0 ? Name : $"{Name}({string.Join(",", items)})";
    }

    private static string BuildHelp()
    {
        var sb = new StringBuilder();
        sb.AppendLine("Aggregator spec syntax: name | name(param=value,...) | meta(inner) | meta(param=value,...,inner). Rules:");
        foreach (var r in RuleCatalog.Rules) sb.AppendLine($"  {r.Usage,-24} {r.Summary}");
        sb.Append("Meta-rules (ctma, nnm, bucketing, clip, arc, nnm+ctma) wrap any rule, including each other. " +
                  "f is the run's f, not part of the spec. Examples: ctma(cwtm), nnm(cwmed), ctma(nnm(geomed)), " +
                  "bucketing(s=2,krum), geomed(iters=5,nu=0.01), multikrum(q=5), ctma(bulyan), arc(nnm(cwtm)), clip(c=5,cwmed).");
        return sb.ToString();
    }

    private sealed class Parser(string text)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;
        public string Rest => text[_pos..];

        public AggregatorSpecException Error(string problem) => new(text, problem);

        public void SkipWs()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private char Peek => _pos < text.Length ? text[_pos] : '\0';

        private string ReadName()
        {
            SkipWs();
            int start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '+' or '_' or '-')) _pos++;
            return text[start.._pos].ToLowerInvariant();
        }

        public AggregatorSpec ParseNode()
        {
            SkipWs();
            int at = _pos;
            string name = ReadName();
            if (name.Length == 0)
                throw Error(AtEnd ? "a rule name is missing at the end" : $"expected a rule name at position {at}, found '{Peek}'");
            var rule = RuleCatalog.Find(name)
                ?? throw Error($"unknown rule '{name}' (valid: {string.Join(", ", RuleCatalog.Rules.Select(r => r.Name))})");
            var parameters = new SortedDictionary<string, double>(StringComparer.Ordinal);
            AggregatorSpec? inner = null;
            SkipWs();
            if (Peek == '(')
            {
                _pos++;
                SkipWs();
                if (Peek == ')') _pos++;
                else
                {
                    while (true)
                    {
                        int save = _pos;
                        string ident = ReadName();
                        SkipWs();
                        if (ident.Length > 0 && Peek == '=')
                        {
                            _pos++;
                            ParseParameter(rule, ident, parameters);
                        }
                        else
                        {
                            _pos = save;
                            if (!rule.IsMeta)
                                throw Error($"'{rule.Name}' takes no inner rule" +
                                            (rule.Parameters.Length > 0 ? $"; its parameters: {Params(rule)}" : " and no parameters"));
                            if (inner is not null) throw Error($"'{rule.Name}' takes exactly one inner rule");
                            inner = ParseNode();
                        }
                        SkipWs();
                        if (Peek == ',') { _pos++; continue; }
                        if (Peek == ')') { _pos++; break; }
                        throw Error(AtEnd ? $"missing ')' after the arguments of '{rule.Name}'"
                            : $"expected ',' or ')' at position {_pos}, found '{Peek}'");
                    }
                }
            }
            if (rule.IsMeta && inner is null)
                throw Error($"'{rule.Name}' is a meta-rule and needs an inner rule, e.g. {rule.Name}(cwtm)");
            return new AggregatorSpec(rule, parameters, inner);
        }

        private void ParseParameter(RuleInfo rule, string ident, SortedDictionary<string, double> parameters)
        {
            var p = rule.Parameters.FirstOrDefault(x => x.Name == ident)
                ?? throw Error(rule.Parameters.Length == 0
                    ? $"'{rule.Name}' takes no parameters (got '{ident}')"
                    : $"'{rule.Name}' has no parameter '{ident}' (valid: {Params(rule)})");
            SkipWs();
            int start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '.' or '-' or '+')) _pos++;
            string token = text[start.._pos];
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw Error($"parameter '{ident}' of '{rule.Name}' needs a number, got '{token}'");
            if (p.IsInteger && v != Math.Floor(v))
                throw Error($"parameter '{ident}' of '{rule.Name}' must be {p.Requirement}, got {token}");
            if (!p.IsValid(v)) throw Error($"parameter '{ident}' of '{rule.Name}' must be {p.Requirement}, got {token}");
            if (!parameters.TryAdd(ident, v)) throw Error($"parameter '{ident}' of '{rule.Name}' is given twice");
        }

        private static string Params(RuleInfo r) => string.Join(", ", r.Parameters.Select(p => $"{p.Name} ({p.Requirement})"));
    }
}
