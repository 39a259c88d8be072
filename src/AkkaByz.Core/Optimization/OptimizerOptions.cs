namespace AkkaByz.Core.Optimization;

/// <summary>Which optimizer a run uses. Both halves (worker and server) are built from the same kind.</summary>
public enum OptimizerKind
{
    /// <summary>Plain SGD: workers send their (clipped, decayed) minibatch gradient; server x ← x − η·agg.</summary>
    Sgd,

    /// <summary>Worker momentum m_t = β m_{t−1} + (1 − β) g_t (m_1 = g_1); server x ← x − η·agg.</summary>
    Momentum,

    /// <summary>µ²-SGD (Levy 2023; Dahan &amp; Levy, ICML 2024): corrected worker estimate plus server iterate averaging.</summary>
    Mu2Sgd,
}

/// <summary>
/// One settings object from which a runtime builds both halves of an optimizer
/// (<see cref="OptimizerFactory.CreateWorker"/>, <see cref="OptimizerFactory.CreateServer"/>).
/// </summary>
public sealed record OptimizerOptions
{
    /// <summary>Optimizer kind. Default: <see cref="OptimizerKind.Mu2Sgd"/>, the paper's recommended optimizer.</summary>
    public OptimizerKind Kind { get; init; } = OptimizerKind.Mu2Sgd;

    /// <summary>Server learning rate η (default 0.1, the reference setup).</summary>
    public float LearningRate { get; init; } = 0.1f;

    /// <summary>
    /// Per-gradient L2 norm clipping threshold c: every gradient the oracle returns is rescaled to norm ≤ c before use
    /// (µ²-SGD clips both of its gradients). 0 disables clipping (default). The reference uses 2.0.
    /// </summary>
    public float ClipNorm { get; init; }

    /// <summary>L2 weight decay λ: λ·x is added to every (clipped) gradient taken at x. Default 0.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Worker-momentum settings (used when <see cref="Kind"/> is <see cref="OptimizerKind.Momentum"/>).</summary>
    public MomentumOptions Momentum { get; init; } = new();

    /// <summary>µ²-SGD settings (used when <see cref="Kind"/> is <see cref="OptimizerKind.Mu2Sgd"/>).</summary>
    public Mu2SgdOptions Mu2 { get; init; } = new();

    /// <summary>Options for <paramref name="kind"/> with every other setting at its default.</summary>
    public static OptimizerOptions For(OptimizerKind kind, float learningRate = 0.1f) => new() { Kind = kind, LearningRate = learningRate };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!float.IsFinite(LearningRate) || LearningRate <= 0)
            throw new ArgumentException($"Learning rate must be a positive finite number, got {LearningRate}.", nameof(LearningRate));
        if (!float.IsFinite(ClipNorm) || ClipNorm < 0)
            throw new ArgumentException($"Clip norm must be ≥ 0 (0 = off), got {ClipNorm}.", nameof(ClipNorm));
        if (!float.IsFinite(WeightDecay) || WeightDecay < 0)
            throw new ArgumentException($"Weight decay must be ≥ 0, got {WeightDecay}.", nameof(WeightDecay));
        Momentum.Validate();
        Mu2.Validate();
    }
}

/// <summary>Worker momentum (the baseline of Dahan &amp; Levy 2024, after Karimireddy et al. 2021).</summary>
/// <param name="Beta">Momentum β in [0, 1): m_t = β m_{t−1} + (1 − β) g_t. Default 0.9 (the reference).</param>
public sealed record MomentumOptions(float Beta = 0.9f)
{
    public void Validate()
    {
        if (!(Beta >= 0 && Beta < 1))
            throw new ArgumentException($"Momentum β must be in [0, 1), got {Beta}.", nameof(Beta));
    }
}

/// <summary>µ²-SGD settings (Levy 2023, "µ²-SGD"; Dahan &amp; Levy, ICML 2024).</summary>
/// <param name="BetaMin">
/// Floor β_min of the worker's correction weight β_t = max(1/t, β_min), in (0, 1]. Default 0.01: from round 100 on
/// the estimate keeps 99 % of its corrected history, which is what removes most of the gradient noise (on the
/// noisy quadratic of the tests, β_min = 0.1 left the final error 30× apart across η ∈ [0.01, 1]; 0.01 left it
/// within 3×). β_min = 1 turns the worker into plain SGD.
/// </param>
/// <param name="GammaMin">
/// Floor γ_min of the server's averaging weight γ_k = max(2/(k+1), γ_min), in (0, 1]. Default 0.01, the reference's:
/// from step 199 on the query point x averages the iterates w over roughly the last 2/γ_min = 200 steps rather than
/// over all of them, so it still tracks w under a constant η. A larger floor (0.1, AkkaByz's earlier default) makes x
/// follow w more closely; γ_min = 1 makes x = w.
/// </param>
/// <param name="TheoryLearningRate">
/// False (default, "practical"): w_{t+1} = w_t − η d̂. True ("theory"): w_{t+1} = w_t − η α_t d̂ with α_t = t.
/// </param>
public sealed record Mu2SgdOptions(float BetaMin = 0.01f, float GammaMin = 0.01f, bool TheoryLearningRate = false)
{
    public void Validate()
    {
        if (!(BetaMin > 0 && BetaMin <= 1))
            throw new ArgumentException($"µ²-SGD β_min must be in (0, 1], got {BetaMin}.", nameof(BetaMin));
        if (!(GammaMin > 0 && GammaMin <= 1))
            throw new ArgumentException($"µ²-SGD γ_min must be in (0, 1], got {GammaMin}.", nameof(GammaMin));
    }
}
