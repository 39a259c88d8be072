using System.Globalization;
using AkkaByz.Core.Aggregation;

namespace AkkaByz.Core.Specs;

/// <summary>One named thing of a spec language (a rule, an attack, a partition): its name, parameters, whether it wraps an inner spec.</summary>
internal interface ISpecEntry
{
    string Name { get; }
    bool IsMeta { get; }
    IReadOnlyList<RuleParameter> Parameters { get; }

    /// <summary>True when the first parameter may be given without its name (<c>dirichlet(0.3)</c>, <c>ipm(0.5)</c>).</summary>
    bool AllowsPositional { get; }
}

/// <summary>A parsed spec: the entry, its explicit parameter values (a choice parameter holds its choice's index), its inner spec.</summary>
internal sealed record SpecNode(ISpecEntry Entry, SortedDictionary<string, double> Values, SpecNode? Inner)
{
    /// <summary>The canonical text: lower case, no spaces, parameters in name order before the inner spec.</summary>
    public override string ToString()
    {
        var items = Values.Select(kv => kv.Key + "=" + Format(Entry.Parameters.First(p => p.Name == kv.Key), kv.Value)).ToList();
        if (Inner is not null) items.Add(Inner.ToString());
        return items.Count == 0 ? Entry.Name : $"{Entry.Name}({string.Join(",", items)})";
    }

    internal static string Format(RuleParameter p, double v) =>
        p.Choices is { } choices ? choices[(int)v] : v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// The one parser of the spec language shared by aggregation rules, attacks and partitions:
/// <c>name</c>, <c>name(param=value,...)</c>, <c>meta(inner)</c>, <c>meta(param=value,...,inner)</c>, and for entries
/// that allow it a positional first parameter (<c>dirichlet(0.3)</c>). Names are case-insensitive, whitespace is
/// ignored; a value is a number (checked against the parameter's bound, integer where required) or, for a choice
/// parameter, one of its words. Every error is a short problem sentence ("unknown attack 'x' (valid: ...)",
/// "parameter 'eps' of 'ipm' needs a number, got 'abc'") handed to the caller's exception factory, so rules,
/// attacks and partitions word their errors the same way.
/// </summary>
internal sealed class SpecGrammar(string kind, Func<string, ISpecEntry?> find, Func<IEnumerable<string>> names, Func<string, string, Exception> error)
{
    /// <summary>What one thing of this language is called in messages ("rule", "attack", "partition").</summary>
    public string Kind => kind;

    internal ISpecEntry? Find(string name) => find(name);
    internal IEnumerable<string> Names() => names();
    internal Exception Error(string text, string problem) => error(text, problem);

    /// <summary>Parses <paramref name="text"/> or throws the exception the factory makes.</summary>
    public SpecNode Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw error(text ?? "", "the spec is empty");
        var p = new Parser(this, text);
        var node = p.ParseNode();
        p.SkipWs();
        if (!p.AtEnd) throw p.Error($"unexpected '{p.Rest}' after the {kind}");
        return node;
    }

    private sealed class Parser(SpecGrammar g, string text)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;
        public string Rest => text[_pos..];

        public Exception Error(string problem) => g.Error(text, problem);

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

        private string ReadValue()
        {
            SkipWs();
            int start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '.' or '-' or '+' or '_')) _pos++;
            return text[start.._pos];
        }

        public SpecNode ParseNode()
        {
            var kind = g.Kind;
            SkipWs();
            int at = _pos;
            string name = ReadName();
            if (name.Length == 0)
                throw Error(AtEnd ? $"a {kind} name is missing at the end" : $"expected a {kind} name at position {at}, found '{Peek}'");
            var entry = g.Find(name) ?? throw Error($"unknown {kind} '{name}' (valid: {string.Join(", ", g.Names())})");
            var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
            SpecNode? inner = null;
            SkipWs();
            if (Peek == '(')
            {
                _pos++;
                SkipWs();
                if (Peek == ')') _pos++;
                else
                {
                    var first = true;
                    while (true)
                    {
                        int save = _pos;
                        string ident = ReadName();
                        SkipWs();
                        if (ident.Length > 0 && Peek == '=')
                        {
                            _pos++;
                            ParseParameter(entry, ident, values);
                        }
                        else if (first && entry.AllowsPositional && entry.Parameters.Count > 0)
                        {
                            _pos = save;
                            ParseParameter(entry, entry.Parameters[0].Name, values);
                        }
                        else
                        {
                            _pos = save;
                            if (!entry.IsMeta)
                                throw Error($"'{entry.Name}' takes no inner {kind}" +
                                            (entry.Parameters.Count > 0 ? $"; its parameters: {Params(entry)}" : " and no parameters"));
                            if (inner is not null) throw Error($"'{entry.Name}' takes exactly one inner {kind}");
                            inner = ParseNode();
                        }
                        first = false;
                        SkipWs();
                        if (Peek == ',') { _pos++; continue; }
                        if (Peek == ')') { _pos++; break; }
                        throw Error(AtEnd ? $"missing ')' after the arguments of '{entry.Name}'"
                            : $"expected ',' or ')' at position {_pos}, found '{Peek}'");
                    }
                }
            }
            if (entry.IsMeta && inner is null)
                throw Error($"'{entry.Name}' is a meta-{kind} and needs an inner {kind}, e.g. {entry.Name}(cwtm)");
            return new SpecNode(entry, values, inner);
        }

        private void ParseParameter(ISpecEntry entry, string ident, SortedDictionary<string, double> values)
        {
            var p = entry.Parameters.FirstOrDefault(x => x.Name == ident)
                ?? throw Error(entry.Parameters.Count == 0
                    ? $"'{entry.Name}' takes no parameters (got '{ident}')"
                    : $"'{entry.Name}' has no parameter '{ident}' (valid: {Params(entry)})");
            string token = ReadValue();
            double v;
            if (p.Choices is { } choices)
            {
                var index = Array.IndexOf(choices.Select(c => c.ToLowerInvariant()).ToArray(), token.ToLowerInvariant());
                if (index < 0) throw Error($"parameter '{ident}' of '{entry.Name}' must be {p.Requirement}, got '{token}'");
                v = index;
            }
            else
            {
                if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out v) || !double.IsFinite(v))
                    throw Error($"parameter '{ident}' of '{entry.Name}' needs a number, got '{token}'");
                if (p.IsInteger && v != Math.Floor(v))
                    throw Error($"parameter '{ident}' of '{entry.Name}' must be {p.Requirement}, got {token}");
                if (!p.IsValid(v)) throw Error($"parameter '{ident}' of '{entry.Name}' must be {p.Requirement}, got {token}");
            }
            if (!values.TryAdd(ident, v)) throw Error($"parameter '{ident}' of '{entry.Name}' is given twice");
        }

        private static string Params(ISpecEntry e) => string.Join(", ", e.Parameters.Select(p => $"{p.Name} ({p.Requirement})"));
    }
}
