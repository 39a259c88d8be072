namespace AkkaByz.Core.Aggregation;

/// <summary>
/// An aggregator spec that does not parse: unknown rule name, unknown or out-of-range parameter, missing or extra
/// inner rule, or a syntax error. The message names the problem and lists the valid rules and syntax.
/// </summary>
public sealed class AggregatorSpecException : ArgumentException
{
    public AggregatorSpecException(string spec, string problem)
        : base($"Invalid aggregator spec '{spec}': {problem}.{Environment.NewLine}{AggregatorSpec.SyntaxHelp}")
    {
        SpecText = spec;
        Problem = problem;
    }

    /// <summary>The text that failed to parse.</summary>
    public string SpecText { get; }

    /// <summary>What is wrong with it (without the syntax help).</summary>
    public string Problem { get; }
}
