namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// A structural check of HOCON text before Akka's parser sees it. Akka's parser is lenient where it should not be
/// and loops where it must not: a <c>}</c> inside a list (<c>akkabyz { workers = [9 }</c>) makes it spin while its
/// memory grows past a gigabyte, a missing or an extra <c>}</c> is accepted, and <c>rounds == 5</c> becomes two keys
/// without values. This pass finds those mistakes in one linear scan and names the line: brackets that do not match
/// or are never closed, strings and substitutions that are never closed, two separators in a row, and a separator
/// with no value after it, and a separator directly inside a list.
/// </summary>
public static class HoconLint
{
    /// <summary>The first problem in <paramref name="text"/> as (line, message), or null when the structure is sound.</summary>
    public static (int Line, string Problem)? Check(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        // What the last significant token was: a separator (= : +=) waits for a value.
        var afterSeparator = false;
        var separator = "";
        var separatorLine = 0;
        // True when the last significant token was text, a string or a substitution: something a key can be.
        var afterText = false;
        var i = 0;

        (int, string)? MissingValue() =>
            afterSeparator ? (separatorLine, $"'{separator}' has no value after it") : null;

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                i++;
                continue;
            }
            if (char.IsWhiteSpace(c) || c == '\uFEFF')
            {
                i++;
                continue;
            }
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            if (c == '"')
            {
                var start = line;
                if (string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0)
                {
                    if (!afterSeparator && !(open.Count > 0 && open.Peek().Bracket == '['))
                        return (start, "a \"\"\" string can only be a value (key = \"\"\"...\"\"\"), not a key");
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) return (start, "the \"\"\" string opened here is never closed");
                    while (end + 3 < text.Length && text[end + 3] == '"') end++; // """a"""" ends at the last quotes
                    for (var k = i; k < end + 3; k++) if (text[k] == '\n') line++;
                    i = end + 3;
                }
                else
                {
                    i++;
                    while (i < text.Length && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
                    if (i >= text.Length || text[i] != '"') return (start, "the quoted string opened here is never closed (a \" is missing)");
                    i++;
                }
                afterSeparator = false;
                afterText = true;
                continue;
            }
            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var end = i + 2;
                while (end < text.Length && text[end] != '}' && text[end] != '\n') end++;
                if (end >= text.Length || text[end] != '}') return (line, "the substitution ${ opened here is never closed (a } is missing)");
                i = end + 1;
                afterSeparator = false;
                afterText = true;
                continue;
            }
            if (c is '$' or '\\' or '`')
                return (line, $"'{c}' outside quotes: quote the value (\"...\")");
            switch (c)
            {
                case '{' or '[':
                    open.Push((c, line));
                    afterSeparator = false;
                    afterText = false;
                    i++;
                    continue;
                case '}' or ']':
                {
                    if (afterSeparator) return MissingValue();
                    var expected = c == '}' ? '{' : '[';
                    if (open.Count == 0) return (line, $"'{c}' closes nothing (an extra '{c}', or its '{expected}' is missing)");
                    var (bracket, openedOn) = open.Pop();
                    if (bracket != expected)
                        return (line, $"'{c}' closes the '{bracket}' opened on line {openedOn}: expected '{(bracket == '{' ? '}' : ']')}'");
                    afterSeparator = false;
                    afterText = false;
                    i++;
                    continue;
                }
                case ',':
                    if (afterSeparator) return MissingValue();
                    afterText = false;
                    i++;
                    continue;
                case '=' or ':':
                case '+' when i + 1 < text.Length && text[i + 1] == '=':
                {
                    var token = c == '+' ? "+=" : c.ToString();
                    // Directly inside a list a separator is an error, and one Akka's parser loops on ([:1]).
                    if (open.Count > 0 && open.Peek().Bracket == '[')
                        return (line, $"'{token}' inside a list: quote the item (\"2:300ms\") or make it an object ({{ key = value }})");
                    if (afterSeparator)
                        return (line, $"'{separator}' followed by '{token}': write key = value (one '=' or ':')");
                    if (!afterText) return (line, $"'{token}' has no key before it");
                    afterText = false;
                    afterSeparator = true;
                    separator = token;
                    separatorLine = line;
                    i += token.Length;
                    continue;
                }
                default:
                    afterSeparator = false;
                    afterText = true;
                    i++;
                    continue;
            }
        }
        if (MissingValue() is { } missing) return missing;
        if (open.Count > 0)
        {
            var (bracket, openedOn) = open.Pop();
            return (openedOn, $"the '{bracket}' opened here is never closed (a '{(bracket == '{' ? '}' : ']')}' is missing)");
        }
        return null;
    }
}
