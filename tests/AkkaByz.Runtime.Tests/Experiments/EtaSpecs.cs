using AkkaByz.Runtime.Experiments;

namespace AkkaByz.Runtime.Tests.Experiments;

public sealed class EtaSpecs
{
    [Fact]
    public void The_eta_must_be_unknown_until_a_cell_finishes_then_mean_times_remaining_over_parallel()
    {
        var eta = new EtaEstimator(cells: 10, parallel: 2);
        Assert.Null(eta.Remainder);
        Assert.Equal("?", EtaEstimator.Format(eta.Remainder));
        eta.Finished(TimeSpan.FromSeconds(10));
        eta.Finished(TimeSpan.FromSeconds(30));
        // mean 20 s, 8 left, 2 at once: 80 s.
        Assert.Equal(TimeSpan.FromSeconds(80), eta.Remainder);
        Assert.Equal("0:01:20", EtaEstimator.Format(eta.Remainder));
        Assert.Equal(8, eta.Remaining);
    }

    [Fact]
    public void With_fewer_cells_left_than_slots_the_eta_must_be_one_cell_and_zero_at_the_end()
    {
        var eta = new EtaEstimator(cells: 3, parallel: 4);
        eta.Finished(TimeSpan.FromSeconds(12));
        Assert.Equal(TimeSpan.FromSeconds(12), eta.Remainder); // 2 left run side by side
        eta.Finished(TimeSpan.FromSeconds(12));
        eta.Finished(TimeSpan.FromSeconds(12));
        Assert.Equal(TimeSpan.Zero, eta.Remainder);
        Assert.Equal("1:02:03", EtaEstimator.Format(TimeSpan.FromSeconds(3723)));
    }

    [Fact]
    public void Bad_arguments_must_be_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtaEstimator(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtaEstimator(1, 0));
    }

    [Fact]
    public void Mean_and_std_must_use_the_sample_deviation()
    {
        var s = MeanStd.Of([0.7, 0.8, 0.9]);
        Assert.Equal(0.8, s.Mean, 12);
        Assert.Equal(0.1, s.Std, 12);
        Assert.Equal("80.0 ± 10.0", s.Percent());
        Assert.Equal("50.0", MeanStd.Of([0.5]).Percent());
    }
}
