using System.Globalization;
using Akka.Configuration;
using AkkaByz.Core.Data;

namespace AkkaByz.Runtime.Configuration;

/// <summary>Optimizer choice and hyper-parameters (<c>akkabyz.optimizer</c>).</summary>
public sealed record OptimizerSettings(
    string Name, double LearningRate, double Beta, double BetaMin, double GammaMin, bool Theory, double Clip, double WeightDecay);

/// <summary>The synchronous barrier (<c>akkabyz.barrier</c>).</summary>
/// <param name="Quorum">Effective quorum (the configured 0 already resolved to 2f + 1).</param>
/// <param name="AutoQuorum">True when configured as 0: each round then needs 2f' + 1 valid updates, f' = f minus the members that revealed themselves by a malformed update.</param>
public sealed record BarrierSettings(TimeSpan RoundDeadline, TimeSpan StartTimeout, int Quorum, int MaxRetries, TimeSpan TapTimeout, bool AutoQuorum = false);

/// <summary>Fault injection (<c>akkabyz.faults</c>).</summary>
public sealed record FaultSettings(
    IReadOnlyList<CrashFault> Crashes, double CrashRate, IReadOnlyList<StragglerFault> Stragglers, IReadOnlyList<MessageFault> Messages)
{
    public static readonly FaultSettings None = new([], 0, [], []);
}

/// <summary>
/// How a worker schedules its gradient calls on the compute cores (<c>akkabyz.compute</c>). Neither changes a result:
/// updates are bit-identical either way; they change only how a round fills the cores.
/// </summary>
/// <param name="SplitGradients">µ²-SGD's two gradient calls of a round run as two tasks (else one task per worker and round).</param>
/// <param name="ShareModels">The workers of a process rent their model instances for each gradient call from one pool (about one instance per core), instead of holding two each.</param>
public sealed record ComputeSettings(bool SplitGradients, bool ShareModels = true)
{
    /// <summary>Both on (the reference configuration's values).</summary>
    public static readonly ComputeSettings Default = new(true, true);
}

/// <summary>Outputs (<c>akkabyz.output</c>). <paramref name="Directory"/> empty = runs/&lt;timestamp&gt;.</summary>
public sealed record OutputSettings(string Directory, bool Chart);

/// <summary>Data (<c>akkabyz.data</c>).</summary>
/// <param name="Normalization">
/// <c>akkabyz.data.normalization</c>; null = <c>auto</c>: standardize for IDX data (MNIST-like, the paper's setting),
/// unit range for the synthetic task and CIFAR-10. See <see cref="EffectiveNormalization"/>.
/// </param>
public sealed record DataSettings(DataSourceSpec Source, PartitionSpec Partition, int MaxTrain, NormalizationSpec? Normalization = null)
{
    /// <summary>The normalisation a run applies: the configured one, or for <c>auto</c> the source's default.</summary>
    public NormalizationSpec EffectiveNormalization =>
        Normalization ?? (Source.Kind == DataSourceKind.Idx ? NormalizationSpec.Standardize : NormalizationSpec.UnitRange);

    /// <summary>Parses <c>akkabyz.data.normalization</c>: <c>auto</c> (null) or a <see cref="NormalizationSpec"/>.</summary>
    public static NormalizationSpec? ParseNormalization(string text)
    {
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        try { return NormalizationSpec.Parse(text); }
        catch (FormatException e) when (!e.Message.Contains("auto", StringComparison.Ordinal))
        {
            throw new FormatException(e.Message.Replace("expected unit-range,", "expected auto, unit-range,", StringComparison.Ordinal), e);
        }
    }
}

/// <summary>
/// Everything a run needs, read once from the <c>akkabyz</c> HOCON section and validated
/// (<see cref="Create(Config)"/>). Immutable; derive variants with <c>with</c> and call <see cref="Validate"/>.
/// </summary>
public sealed record AkkaByzSettings(
    DataSettings Data,
    string Model,
    int ModelThreads,
    int Workers,
    int Byzantine,
    string Attack,
    string Aggregator,
    OptimizerSettings Optimizer,
    int BatchSize,
    long Rounds,
    int Epochs,
    int EvalInterval,
    int Seed,
    BarrierSettings Barrier,
    FaultSettings Faults,
    OutputSettings Output)
{
    /// <summary>Gradient scheduling (<c>akkabyz.compute</c>); results do not depend on it.</summary>
    public ComputeSettings Compute { get; init; } = ComputeSettings.Default;

    /// <summary>Settings from the embedded reference.conf alone.</summary>
    public static AkkaByzSettings Default { get; } = Create(AkkaByzConfig.Reference);

    /// <summary>Indices of the Byzantine workers: the last f (none when the attack is <c>none</c>).</summary>
    public bool IsByzantine(int worker) => !IsNoAttack && worker >= Workers - Byzantine;

    /// <summary>True when the attack is <c>none</c>: all m workers honest.</summary>
    public bool IsNoAttack => Attack.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads and validates the <c>akkabyz</c> section of <paramref name="config"/> (falling back to the reference).</summary>
    /// <exception cref="SettingsException">A key is missing, malformed or inconsistent; the message names it.</exception>
    public static AkkaByzSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = ReferenceEquals(config, AkkaByzConfig.Reference) ? config : config.WithFallback(AkkaByzConfig.Reference);
        var reader = new Reader(c);
        var workers = reader.Int("akkabyz.workers");
        var byzantine = reader.Int("akkabyz.byzantine");
        var quorum = reader.Int("akkabyz.barrier.quorum");
        var settings = new AkkaByzSettings(
            new DataSettings(
                reader.Parse("akkabyz.data.source", DataSourceSpec.Parse),
                reader.Parse("akkabyz.data.partition", PartitionSpec.Parse),
                reader.Int("akkabyz.data.max-train"),
                reader.Parse("akkabyz.data.normalization", DataSettings.ParseNormalization)),
            reader.String("akkabyz.model").ToLowerInvariant(),
            reader.Int("akkabyz.model-threads"),
            workers,
            byzantine,
            reader.String("akkabyz.attack"),
            reader.String("akkabyz.aggregator"),
            new OptimizerSettings(
                reader.String("akkabyz.optimizer.name").ToLowerInvariant(),
                reader.Double("akkabyz.optimizer.lr"),
                reader.Double("akkabyz.optimizer.beta"),
                reader.Double("akkabyz.optimizer.beta-min"),
                reader.Double("akkabyz.optimizer.gamma-min"),
                reader.Bool("akkabyz.optimizer.theory"),
                reader.Double("akkabyz.optimizer.clip"),
                reader.Double("akkabyz.optimizer.weight-decay")),
            reader.Int("akkabyz.batch-size"),
            reader.Long("akkabyz.rounds"),
            reader.Int("akkabyz.epochs"),
            reader.Int("akkabyz.eval-interval"),
            reader.Int("akkabyz.seed"),
            new BarrierSettings(
                reader.Duration("akkabyz.barrier.round-deadline"),
                reader.Duration("akkabyz.barrier.start-timeout"),
                quorum == 0 ? 2 * byzantine + 1 : quorum,
                reader.Int("akkabyz.barrier.max-retries"),
                reader.Duration("akkabyz.barrier.tap-timeout"),
                quorum == 0),
            new FaultSettings(
                reader.List("akkabyz.faults.crash", CrashFault.Parse),
                reader.Double("akkabyz.faults.crash-rate"),
                reader.List("akkabyz.faults.stragglers", StragglerFault.Parse),
                reader.List("akkabyz.faults.messages", MessageFault.Parse)),
            new OutputSettings(reader.String("akkabyz.output.dir"), reader.Bool("akkabyz.output.chart")))
        {
            Compute = new ComputeSettings(reader.Bool("akkabyz.compute.split-gradients"), reader.Bool("akkabyz.compute.share-models")),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Checks ranges and consistency; throws <see cref="SettingsException"/> naming the key.</summary>
    public void Validate()
    {
        static void Require(bool ok, string key, string message)
        {
            if (!ok) throw new SettingsException($"akkabyz.{key}: {message}");
        }

        Require(Workers >= 1, "workers", $"need at least 1 worker, got {Workers}.");
        Require(Byzantine >= 0, "byzantine", $"must be 0 or more, got {Byzantine}.");
        Require(2 * Byzantine < Workers, "byzantine",
            $"f = {Byzantine} Byzantine of m = {Workers} workers is impossible: robust aggregation needs f < m/2 (2f < m).");
        Require(ModelThreads >= 1, "model-threads", $"must be at least 1, got {ModelThreads}.");
        Require(Model.Length > 0, "model", "must name a model (logreg, mlp, cnn-mnist, cnn-cifar).");
        Require(Attack.Trim().Length > 0, "attack", "must name an attack or 'none'.");
        Require(Aggregator.Trim().Length > 0, "aggregator", "must be an aggregation spec such as ctma(cwtm).");
        Require(Optimizer.Name is "mu2" or "momentum" or "sgd", "optimizer.name", $"unknown optimizer '{Optimizer.Name}'; expected mu2, momentum or sgd.");
        Require(Optimizer.LearningRate > 0 && double.IsFinite(Optimizer.LearningRate), "optimizer.lr", $"must be positive and finite, got {Optimizer.LearningRate}.");
        Require(Optimizer.Beta is >= 0 and < 1, "optimizer.beta", $"must be in [0, 1), got {Optimizer.Beta}.");
        Require(Optimizer.BetaMin is > 0 and <= 1, "optimizer.beta-min", $"must be in (0, 1], got {Optimizer.BetaMin}.");
        Require(Optimizer.GammaMin is > 0 and <= 1, "optimizer.gamma-min", $"must be in (0, 1], got {Optimizer.GammaMin}.");
        Require(Optimizer.Clip >= 0 && double.IsFinite(Optimizer.Clip), "optimizer.clip", $"must be 0 (off) or a positive norm, got {Optimizer.Clip}.");
        Require(Optimizer.WeightDecay >= 0 && double.IsFinite(Optimizer.WeightDecay), "optimizer.weight-decay", $"must be 0 or more, got {Optimizer.WeightDecay}.");
        Require(BatchSize >= 1, "batch-size", $"must be at least 1, got {BatchSize}.");
        Require(Rounds >= 0, "rounds", $"must be 0 (use epochs) or more, got {Rounds}.");
        Require(Rounds > 0 || Epochs >= 1, "epochs", $"must be at least 1 when rounds = 0, got {Epochs}.");
        Require(EvalInterval >= 0, "eval-interval", $"must be 0 (only at the end) or more, got {EvalInterval}.");
        Require(Data.MaxTrain >= 0, "data.max-train", $"must be 0 (all) or more, got {Data.MaxTrain}.");
        Require(Barrier.RoundDeadline > TimeSpan.Zero, "barrier.round-deadline", $"must be positive, got {Barrier.RoundDeadline}.");
        Require(Barrier.StartTimeout > TimeSpan.Zero, "barrier.start-timeout", $"must be positive, got {Barrier.StartTimeout}.");
        Require(Barrier.TapTimeout > TimeSpan.Zero, "barrier.tap-timeout", $"must be positive, got {Barrier.TapTimeout}.");
        Require(Barrier.Quorum >= 1 && Barrier.Quorum <= Workers, "barrier.quorum",
            $"quorum {Barrier.Quorum} must be between 1 and m = {Workers} (0 = auto = 2f + 1).");
        Require(Barrier.MaxRetries >= 0, "barrier.max-retries", $"must be 0 or more, got {Barrier.MaxRetries}.");
        Require(Faults.CrashRate is >= 0 and <= 1, "faults.crash-rate", $"must be a probability in [0, 1], got {Faults.CrashRate}.");
        foreach (var c in Faults.Crashes)
            Require(c.Worker >= 0 && c.Worker < Workers, "faults.crash", $"'{c}': worker {c.Worker} is outside 0..{Workers - 1}.");
        foreach (var s in Faults.Stragglers)
            Require(s.Worker >= 0 && s.Worker < Workers, "faults.stragglers", $"'{s}': worker {s.Worker} is outside 0..{Workers - 1}.");
        foreach (var m in Faults.Messages)
            Require(m.Worker >= 0 && m.Worker < Workers, "faults.messages", $"'{m}': worker {m.Worker} is outside 0..{Workers - 1}.");
    }

    /// <summary>Reads typed values, wrapping HOCON errors in a <see cref="SettingsException"/> that names the key.</summary>
    private sealed class Reader(Config config)
    {
        private T Get<T>(string key, Func<T> read)
        {
            if (!config.HasPath(key)) throw new SettingsException($"{key}: missing.");
            try
            {
                return read();
            }
            catch (Exception e) when (e is not SettingsException)
            {
                throw new SettingsException($"{key}: {Describe(key)} is not valid here ({e.Message.TrimEnd('.')}).", e);
            }
        }

        private string Describe(string key)
        {
            try { return $"'{config.GetString(key)}'"; }
            catch { return "the value"; }
        }

        public string String(string key) => Get(key, () => config.GetString(key) ?? "");
        public int Int(string key) => Number<int>(key, "a whole number", t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null);
        public long Long(string key) => Number<long>(key, "a whole number", t => long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null);
        public double Double(string key) => Number<double>(key, "a number", t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null);
        public bool Bool(string key) => Number<bool>(key, "on or off", t => t.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => null,
        });

        /// <summary>A scalar read from its text, so a wrong value is named with what was expected (not .NET's format message).</summary>
        private T Number<T>(string key, string expected, Func<string, T?> parse) where T : struct
        {
            var text = String(key).Trim();
            return parse(text) ?? throw new SettingsException($"{key}: '{text}' is not {expected}.");
        }
        public TimeSpan Duration(string key) => Parse(key, Durations.Parse);

        public T Parse<T>(string key, Func<string, T> parse)
        {
            var text = String(key);
            try { return parse(text); }
            catch (FormatException e) { throw new SettingsException($"{key}: {e.Message}", e); }
        }

        public IReadOnlyList<T> List<T>(string key, Func<string, T> parse)
        {
            var items = Get(key, () => config.GetStringList(key));
            var result = new List<T>(items.Count);
            foreach (var item in items)
            {
                try { result.Add(parse(item)); }
                catch (FormatException e) { throw new SettingsException($"{key}: {e.Message}", e); }
            }
            return result;
        }
    }
}
