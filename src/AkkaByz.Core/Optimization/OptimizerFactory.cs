namespace AkkaByz.Core.Optimization;

/// <summary>The one place where optimizer names map to implementations.</summary>
public static class OptimizerFactory
{
    /// <summary>Accepted names, for help texts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "mu2"];

    /// <summary>Parses an optimizer name: <c>sgd</c>, <c>momentum</c>, <c>mu2</c> (also <c>mu2sgd</c>, <c>mu2-sgd</c>, <c>µ2</c>), case-insensitive.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid ones.</exception>
    public static OptimizerKind ParseKind(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "sgd" or "plain" => OptimizerKind.Sgd,
            "momentum" or "worker-momentum" => OptimizerKind.Momentum,
            "mu2" or "mu2sgd" or "mu2-sgd" or "µ2" or "µ2sgd" or "µ²-sgd" => OptimizerKind.Mu2Sgd,
            _ => throw new ArgumentException(
                $"Unknown optimizer '{name}'. Valid optimizers: {string.Join(", ", Names)} (mu2 also as mu2sgd).", nameof(name)),
        };
    }

    /// <summary>Canonical name of a kind (inverse of <see cref="ParseKind"/>).</summary>
    public static string NameOf(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => "sgd",
        OptimizerKind.Momentum => "momentum",
        OptimizerKind.Mu2Sgd => "mu2",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Builds a fresh worker half (state is allocated at the first update, from the length of x).</summary>
    public static IWorkerOptimizer CreateWorker(OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Kind switch
        {
            OptimizerKind.Sgd => new SgdWorker(options),
            OptimizerKind.Momentum => new MomentumWorker(options),
            OptimizerKind.Mu2Sgd => new Mu2SgdWorker(options),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown optimizer kind."),
        };
    }

    /// <summary>Builds the server half starting from <paramref name="initial"/> (x_1 = w_1 = initial).</summary>
    public static IServerOptimizer CreateServer(OptimizerOptions options, ReadOnlySpan<float> initial)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Kind switch
        {
            OptimizerKind.Sgd or OptimizerKind.Momentum => new SgdServer(options, initial),
            OptimizerKind.Mu2Sgd => new Mu2SgdServer(options, initial),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown optimizer kind."),
        };
    }
}
