using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation;

/// <summary>
/// Common shape of every rule in this library: validates (m, f) at construction (f &lt; m/2 everywhere; rules add
/// their own bound) and the inputs on every call (count, non-null, equal lengths, non-empty, finite), then runs the
/// rule. The finiteness check is fused into each rule's first pass over the data (no extra pass): a rule's first
/// kernel reports non-finite results and the inputs are then scanned to name the offending vector and coordinate.
/// Meta-rules call their inner rule through <see cref="AggregateCore"/> so inputs are validated once.
/// </summary>
public abstract class AggregatorBase : IAggregator
{
    /// <param name="m">Number of inputs per call (≥ 1).</param>
    /// <param name="f">Number of Byzantine inputs tolerated: 0 ≤ f and 2f &lt; m.</param>
    protected AggregatorBase(int m, int f)
    {
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(m), m, $"m (number of input vectors) must be ≥ 1, got {m}.");
        if (f < 0) throw new ArgumentOutOfRangeException(nameof(f), f, $"f (number of Byzantine inputs) must be ≥ 0, got {f}.");
        if (2 * f >= m)
            throw new ArgumentOutOfRangeException(nameof(f), f,
                $"f = {f} is not below m/2 = {m / 2.0} (m = {m}): no rule can tolerate 2f ≥ m.");
        M = m;
        F = f;
    }

    /// <inheritdoc />
    public abstract string Spec { get; }

    /// <inheritdoc />
    public int M { get; }

    /// <inheritdoc />
    public int F { get; }

    /// <summary>This instance's reusable kernel buffers.</summary>
    internal KernelScratch Scratch { get; } = new();

    /// <inheritdoc />
    public AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output)
    {
        InputValidation.ValidateShape(inputs, M, output.Length);
        return AggregateCore(inputs, output, checkFinite: true);
    }

    /// <summary>
    /// Runs the rule on inputs whose shape is already validated. When <paramref name="checkFinite"/> is true the rule
    /// must throw (via <see cref="NonFinite.ThrowIfAny"/>) if any input value is non-finite.
    /// </summary>
    internal abstract AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite);

    /// <summary>Error path of a fused check: throws naming the non-finite input, or reports overflow.</summary>
    internal static void FailNonFinite(IReadOnlyList<float[]> inputs, int d, string what)
    {
        NonFinite.ThrowIfAny(inputs, d);
        throw new ArgumentException($"{what} overflowed the float32 range although every input is finite.", nameof(inputs));
    }

    /// <inheritdoc />
    public AggregatorState? State { get; private set; }

    /// <inheritdoc />
    public void UseState(AggregatorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!HasState) return;
        if (state.Spec != Spec)
            throw new ArgumentException($"The aggregator state belongs to '{state.Spec}', not to '{Spec}'.", nameof(state));
        int next = 0;
        BindState(state, ref next);
        State = state;
    }

    /// <summary>
    /// Whether output coordinate c depends on coordinate c of the inputs only (Mean, CWMed, CWTM, MeaMed): then a
    /// pre-aggregator can run the rule block by block of coordinates on transformed rows it builds per block, instead
    /// of materialising m transformed vectors of length d.
    /// </summary>
    internal virtual bool IsCoordinateWise => false;

    /// <summary>Coordinates per block of a blocked pre-aggregator: m rows of it fill about 16 MB.</summary>
    internal static int CoordinateBlock(int m) => Math.Max(8192, (4 << 20) / Math.Max(1, m)) / 64 * 64;

    /// <summary>Whether this rule or a rule inside it carries state from call to call.</summary>
    internal virtual bool HasState => false;

    /// <summary>
    /// Points this rule's stateful parts at their slots of <paramref name="state"/>: a stateful rule takes slot
    /// <paramref name="next"/> (and increments it); a meta-rule passes the call to its inner rule (pre-order).
    /// </summary>
    internal virtual void BindState(AggregatorState state, ref int next) { }

    /// <inheritdoc />
    public override string ToString() => $"{Spec} (m={M}, f={F})";
}
