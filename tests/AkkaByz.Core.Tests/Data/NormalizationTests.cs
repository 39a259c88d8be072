using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Data;

public class NormalizationTests
{
    [Theory]
    [InlineData("unit-range", "unit-range")]
    [InlineData(" Standardize ", "standardize")]
    [InlineData("standardize(0.1307, 0.3081)", "standardize(0.1307,0.3081)")]
    [InlineData("standardize(std=0.3081,mean=0.1307)", "standardize(0.1307,0.3081)")]
    [InlineData("standardize(mean=-1,std=2)", "standardize(-1,2)")]
    public void Parses_to_the_canonical_text(string text, string canonical) =>
        Assert.Equal(canonical, NormalizationSpec.Parse(text).ToString());

    [Theory]
    [InlineData("zscore", "expected unit-range, standardize")]
    [InlineData("standardize(0.1)", "two values")]
    [InlineData("standardize(1,2,3)", "two values")]
    [InlineData("standardize(0.1,0)", "must be > 0")]
    [InlineData("standardize(0.1,-2)", "must be > 0")]
    [InlineData("standardize(abc,1)", "needs a finite number")]
    [InlineData("standardize(mean=1,mean=2)", "twice")]
    [InlineData("standardize(mu=1,std=2)", "no parameter 'mu'")]
    public void Bad_settings_say_what_is_accepted(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => NormalizationSpec.Parse(text));
        Assert.Contains(problem, e.Message);
        Assert.Contains(text.Trim(), e.Message);
    }

    private static void Idx(TempDirectory dir)
    {
        // Train: 4 images of 2x2 with pixels 0..15 (/255); test: 2 images with pixels 0..7.
        IdxReaderTests.Write(dir.File(IdxReader.TrainImages), IdxReaderTests.Images(4, 2, 2), false);
        IdxReaderTests.Write(dir.File(IdxReader.TrainLabels), IdxReaderTests.Labels(0, 1, 2, 1), false);
        IdxReaderTests.Write(dir.File(IdxReader.TestImages), IdxReaderTests.Images(2, 2, 2), false);
        IdxReaderTests.Write(dir.File(IdxReader.TestLabels), IdxReaderTests.Labels(2, 0), false);
    }

    [Fact]
    public void Standardize_uses_the_training_sets_statistics_for_both_sets()
    {
        using var dir = new TempDirectory();
        Idx(dir);
        var (train, test) = DataSources.Load("idx:" + dir.Path, new DataLoadOptions(NormalizationSpec.Standardize));
        // Train pixels k/255, k = 0..15: mean 7.5/255, population deviation √((16² − 1)/12)/255 = √21.25/255.
        var (mean, std) = Normalization.ChannelStatistics(train);
        Assert.Equal(0, mean[0], 1e-6);
        Assert.Equal(1, std[0], 1e-5);
        for (int k = 0; k < 16; k++) Assert.Equal((k - 7.5) / Math.Sqrt(21.25), train.Features[k], 5);
        // The test set (pixels 0..7) is standardised with the TRAINING statistics, so it is not centred itself.
        for (int k = 0; k < 8; k++) Assert.Equal((k - 7.5) / Math.Sqrt(21.25), test.Features[k], 5);
        Assert.Equal(-1.6270, test.Features[0], 4);
        Assert.True(Normalization.ChannelStatistics(test).Mean[0] < -0.8);
    }

    [Fact]
    public void Given_statistics_are_applied_as_is()
    {
        using var dir = new TempDirectory();
        Idx(dir);
        var (train, test) = DataSources.Load("idx:" + dir.Path, new DataLoadOptions(NormalizationSpec.Parse("standardize(0.1307,0.3081)")));
        for (int k = 0; k < 16; k++) Assert.Equal((k / 255.0 - 0.1307) / 0.3081, train.Features[k], 5);
        for (int k = 0; k < 8; k++) Assert.Equal((k / 255.0 - 0.1307) / 0.3081, test.Features[k], 5);
    }

    [Fact]
    public void Unit_range_is_the_default_and_leaves_pixels_in_zero_one()
    {
        using var dir = new TempDirectory();
        Idx(dir);
        var (train, _) = DataSources.Load("idx:" + dir.Path);
        for (int k = 0; k < 16; k++) Assert.Equal(k / 255.0, train.Features[k], 6);
        var (same, _) = DataSources.Load("idx:" + dir.Path, new DataLoadOptions(NormalizationSpec.UnitRange));
        Assert.Equal(train.Features, same.Features);
    }

    [Fact]
    public void Multi_channel_data_is_standardised_per_channel()
    {
        // Two samples of 2 channels × 1 × 2: channel 0 holds 0, 2, 4, 6; channel 1 holds 10, 10, 30, 30.
        var train = new DataSet("t", [0, 2, 10, 10, 4, 6, 30, 30], [0, 1], new SampleShape(2, 1, 2), 2);
        var test = new DataSet("u", [3, 3, 20, 20], [0], new SampleShape(2, 1, 2), 2);
        var stats = NormalizationSpec.Standardize.ApplyInPlace(train, test)!.Value;
        Assert.Equal([3, 20], stats.Mean);
        Assert.Equal(Math.Sqrt(5), stats.Std[0], 12);
        Assert.Equal(10, stats.Std[1], 12);
        Assert.Equal([0f, 0f, 0f, 0f], test.Features);
        Assert.Equal(-1, train.Features[2], 6);
        Assert.Equal(1, train.Features[7], 6);
    }
}
