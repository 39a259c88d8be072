namespace AkkaByz.Core.Optimization;

/// <summary>
/// Computes the gradient of the loss on one fixed minibatch at <paramref name="parameters"/> into
/// <paramref name="gradient"/> and returns the loss. A worker builds one oracle per round so that µ²-SGD's two
/// gradients (at x_t and at x_{t−1}) are taken on the same minibatch.
/// </summary>
public delegate double GradientOracle(ReadOnlySpan<float> parameters, Span<float> gradient);

/// <summary>
/// The worker half of an optimizer: turns the published query point x_t into the vector the worker sends.
/// Worker momentum sends m_t; µ²-SGD sends its corrected estimate d_t. Gradient clipping and weight decay are
/// applied here, per the optimizer's options. Rounds are numbered from 1.
/// </summary>
public interface IWorkerOptimizer
{
    /// <summary>Writes this worker's update for <paramref name="round"/> into <paramref name="update"/>; returns the minibatch loss at x_t.</summary>
    double ComputeUpdate(long round, ReadOnlySpan<float> x, GradientOracle oracle, Span<float> update);

    /// <summary>A snapshot of the worker's state (copies; later updates do not change it).</summary>
    OptimizerState GetState();

    /// <summary>Replaces the worker's state with a copy of <paramref name="state"/> (from <see cref="GetState"/> or <see cref="OptimizerState.Load"/>).</summary>
    /// <exception cref="ArgumentException">The state belongs to another optimizer kind or is inconsistent.</exception>
    void SetState(OptimizerState state);
}

/// <summary>
/// The server half of an optimizer: holds the iterate, publishes the query point, and steps with the
/// aggregate of the workers' vectors.
/// </summary>
public interface IServerOptimizer
{
    /// <summary>Dimension d.</summary>
    int Dimension { get; }

    /// <summary>Number of steps taken so far (0 before the first).</summary>
    long Steps { get; }

    /// <summary>The point published to workers for the next round (x_t).</summary>
    ReadOnlySpan<float> Query { get; }

    /// <summary>Applies one step with the robust aggregate of the round's worker vectors.</summary>
    void Step(ReadOnlySpan<float> aggregate);

    /// <summary>A snapshot of the server's state (copies).</summary>
    OptimizerState GetState();

    /// <summary>Replaces the server's state with a copy of <paramref name="state"/>.</summary>
    /// <exception cref="ArgumentException">The state belongs to another optimizer kind or has the wrong dimension.</exception>
    void SetState(OptimizerState state);
}
