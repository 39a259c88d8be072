namespace AkkaByz.Core.Attacks;

/// <summary>
/// A Byzantine behaviour: what a Byzantine worker sends in place of its honest update.
/// Pure: everything it may use arrives in the <see cref="AttackContext"/>.
/// </summary>
public interface IAttack
{
    /// <summary>Name as used in config, e.g. <c>alie</c>, <c>ipm(0.5)</c>.</summary>
    string Name { get; }

    /// <summary>
    /// True when the attack reads the round's honest vectors (an omniscient adversary): the runtime then answers
    /// for the Byzantine worker from the adversary tap once the honest vectors of the round have been seen.
    /// </summary>
    bool NeedsHonestVectors { get; }

    /// <summary>
    /// True when every Byzantine worker of a round gets the same vector (it does not depend on
    /// <see cref="AttackContext.ByzantineIndex"/> or <see cref="AttackContext.Seed"/>): the adversary tap then crafts
    /// once per round instead of once per Byzantine worker (Opt-IPM's search aggregates 20 times per craft).
    /// </summary>
    bool SameVectorForEveryByzantine => false;

    /// <summary>Label seen by a Byzantine worker when it computes its own update (identity except for data-poisoning attacks such as LF).</summary>
    int TransformLabel(int label, int classCount) => label;

    /// <summary>Writes the Byzantine vector into <paramref name="output"/> (length d).</summary>
    void Craft(AttackContext context, Span<float> output);
}

/// <summary>What an attack may see in one round.</summary>
/// <param name="Round">Round number (from 1).</param>
/// <param name="M">Workers in the round.</param>
/// <param name="F">Byzantine workers in the round.</param>
/// <param name="ByzantineIndex">This Byzantine worker's index among the f (0..f−1).</param>
/// <param name="OwnUpdate">The update this worker computed honestly (on transformed labels for data attacks); may be empty for omniscient attacks.</param>
/// <param name="HonestVectors">The round's honest vectors when <see cref="IAttack.NeedsHonestVectors"/>; otherwise empty.</param>
/// <param name="Seed">Seed for any randomness, derived by the caller from run seed, round and worker.</param>
public sealed record AttackContext(
    long Round,
    int M,
    int F,
    int ByzantineIndex,
    ReadOnlyMemory<float> OwnUpdate,
    IReadOnlyList<float[]> HonestVectors,
    int Seed);
