using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Data;

public class SyntheticTaskTests
{
    [Fact]
    public void Generation_is_deterministic_from_the_seed()
    {
        var options = new SyntheticTaskOptions(TrainCount: 500, TestCount: 100);
        var (a, at) = SyntheticTask.Generate(options);
        var (b, bt) = SyntheticTask.Generate(options);
        var (c, _) = SyntheticTask.Generate(options with { Seed = 2 });
        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(at.Features, bt.Features);
        Assert.NotEqual(a.Features, c.Features);
        Assert.Equal(500, a.Count);
        Assert.Equal(32, a.FeatureCount);
        Assert.Equal(10, a.ClassCount);
        Assert.All(Enumerable.Range(0, 10), y => Assert.Contains(y, a.Labels));
    }

    [Fact]
    public void Standardisation_gives_zero_mean_unit_deviation_on_train()
    {
        var (train, test) = DataSources.Load("synthetic", new DataLoadOptions(NormalizationSpec.Standardize, new SyntheticTaskOptions(TrainCount: 2000, TestCount: 200)));
        var (mean, std) = Normalization.ChannelStatistics(train);
        Assert.Equal(0, mean[0], 1e-5);
        Assert.Equal(1, std[0], 1e-4);
        Assert.Equal(200, test.Count);
    }
}
