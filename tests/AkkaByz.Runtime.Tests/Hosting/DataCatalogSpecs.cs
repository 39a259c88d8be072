using Akka.Configuration;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Tests.Hosting;

/// <summary>Runs in one process share the data they load instead of each holding a copy.</summary>
public sealed class DataCatalogSpecs
{
    private static DataSettings Data(string keys) =>
        AkkaByzSettings.Create(ConfigurationFactory.ParseString($"akkabyz {{ {keys} }}").WithFallback(AkkaByzConfig.Reference)).Data;

    [Fact]
    public void Two_runs_loading_the_same_data_share_the_instances_and_different_limits_do_not()
    {
        var first = DataCatalog.Load(Data("data.source = synthetic"));
        var second = DataCatalog.Load(Data("data.source = synthetic"));
        Assert.Same(first.Train, second.Train);
        Assert.Same(first.Test, second.Test);

        var limited = DataCatalog.Load(Data("data.source = synthetic, data.max-train = 1000"));
        Assert.NotSame(first.Train, limited.Train);
        Assert.Equal(1000, limited.Train.Count);
        Assert.Equal(first.Test.Count, limited.Test.Count); // max-train limits the training split only
        GC.KeepAlive(first);
    }

    [Fact]
    public void Standardisation_uses_the_statistics_of_the_training_examples_the_run_uses()
    {
        var raw = DataCatalog.Load(Data("data.source = synthetic, data.max-train = 1500"));
        var std = DataCatalog.Load(Data("data.source = synthetic, data.max-train = 1500, data.normalization = standardize"));
        Assert.NotSame(raw.Train, std.Train); // the normalisation is part of the cache key
        var (mean, sd) = AkkaByz.Core.Data.Normalization.ChannelStatistics(std.Train);
        Assert.Equal(0, mean[0], 1e-5);
        Assert.Equal(1, sd[0], 1e-4);
        // The test set is scaled with the training statistics: (x − μ_train) / σ_train.
        var (mu, sigma) = AkkaByz.Core.Data.Normalization.ChannelStatistics(raw.Train);
        Assert.Equal((raw.Test.Features[5] - mu[0]) / sigma[0], std.Test.Features[5], 4);
        // The raw instances were not touched.
        Assert.Equal(mu[0], AkkaByz.Core.Data.Normalization.ChannelStatistics(raw.Train).Mean[0]);
        GC.KeepAlive(raw);
    }
}
