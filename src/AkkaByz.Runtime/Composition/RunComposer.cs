using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// The composition root: the one place where configuration names become implementations, through the catalogs
/// next to this file (data and partition, model, optimizer, aggregation rule, attack). Everything is validated
/// here, before any actor starts, so a bad name or file fails with one clear <see cref="SettingsException"/>.
/// </summary>
public static class RunComposer
{
    /// <summary>Builds everything a run needs from validated settings.</summary>
    /// <exception cref="SettingsException">A name is unknown or a file is missing; the message names the key.</exception>
    public static RunComponents Compose(AkkaByzSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var aggregators = AggregatorCatalog.Factory(settings.Aggregator, settings.Workers, settings.Byzantine, settings.Seed);
        // The adaptive attacks (optipm, optalie) run the server's own rule: they get the same factory.
        var createAttack = AttackCatalog.Factory(settings.Attack, aggregators);
        var optimizer = OptimizerCatalog.Options(settings.Optimizer);
        var (train, test) = DataCatalog.Load(settings.Data);
        var shards = DataCatalog.Partition(settings.Data.Partition, train, settings.Workers, Seeds.DeriveInt(settings.Seed, Seeds.Partition));
        if (test.FeatureCount != train.FeatureCount)
            throw new SettingsException($"akkabyz.data.source = {settings.Data.Source}: test samples have {test.FeatureCount} features, train samples {train.FeatureCount}.");

        using var prototype = ModelCatalog.Create(settings.Model, train, settings.ModelThreads);
        var x0 = new float[prototype.ParameterCount];
        // Derived seeds: a plain Random(seed) here would replay the synthetic task's own stream (its class centres).
        prototype.Initialize(x0, Seeds.DeriveInt(settings.Seed, Seeds.Init));

        return new RunComponents
        {
            Settings = settings,
            Train = train,
            Test = test,
            Shards = shards,
            InitialParameters = x0,
            CreateModel = () => ModelCatalog.Create(settings.Model, train, settings.ModelThreads),
            CreateWorkerOptimizer = _ => OptimizerFactory.CreateWorker(optimizer),
            CreateServerOptimizer = x => OptimizerFactory.CreateServer(optimizer, x),
            CreateAggregator = aggregators,
            CreateAttack = createAttack,
        };
    }
}
