namespace AkkaByz.Core.Aggregation;

/// <summary>
/// A robust aggregation rule over m vectors of dimension d (float32 storage).
/// An instance is built for one (m, f) pair by <see cref="AggregatorSpec.Build"/>, which validates the rule's
/// bound; <see cref="Aggregate"/> is then pure apart from reusing internal scratch buffers, so an instance is
/// not safe to call from two threads at once (build one per caller).
/// </summary>
public interface IAggregator
{
    /// <summary>The canonical spec text of this rule, e.g. <c>ctma(cwtm)</c>.</summary>
    string Spec { get; }

    /// <summary>Number of input vectors this instance was built for.</summary>
    int M { get; }

    /// <summary>Number of Byzantine inputs tolerated (the rule's f).</summary>
    int F { get; }

    /// <summary>
    /// Aggregates <paramref name="inputs"/> (exactly <see cref="M"/> vectors, all of <paramref name="output"/>'s
    /// length) into <paramref name="output"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong count, mismatched lengths, empty or non-finite input.</exception>
    AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output);

    /// <summary>
    /// What this rule carries from one call to the next (e.g. centered clipping's previous output); null when the
    /// rule and every rule inside it are stateless. A built instance starts with a state of its own.
    /// </summary>
    AggregatorState? State => null;

    /// <summary>
    /// Makes this instance read and write its cross-call state in <paramref name="state"/> (made for the same spec,
    /// e.g. by another instance's <see cref="State"/> or <c>new AggregatorState(spec)</c>), so that instances built
    /// from one spec for different (m, f) continue one another. No effect on a stateless rule.
    /// </summary>
    /// <exception cref="ArgumentException">The state belongs to another spec.</exception>
    void UseState(AggregatorState state) { }
}

/// <summary>
/// Diagnostics of one aggregation: which inputs the outermost selecting/trimming rule discarded (the suspects)
/// and which it kept. Rules that neither select nor trim (Mean, CWMed, CWTM, GeoMed) report no suspects.
/// </summary>
/// <param name="Suspects">Indices (into the inputs) discarded, ascending.</param>
/// <param name="Selected">Indices kept, ascending; empty when the rule does not select.</param>
public sealed record AggregationReport(IReadOnlyList<int> Suspects, IReadOnlyList<int> Selected)
{
    public static readonly AggregationReport None = new(Array.Empty<int>(), Array.Empty<int>());
}
