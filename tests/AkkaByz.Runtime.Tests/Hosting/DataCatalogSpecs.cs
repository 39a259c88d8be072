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
}
