using AkkaByz.Core.Data;
using AkkaByz.Core.Optimization;
using Xunit.Abstractions;

namespace AkkaByz.Core.Tests.Attacks;

/// <summary>
/// The synthetic task is hard enough that attacks show: with 8 Byzantine of 17 workers, worker momentum, η = 0.1,
/// 300 rounds of batch 8, the plain mean degrades under sign flipping and collapses under large Gaussian noise,
/// while a coordinate-wise median keeps learning. Measured when written (test accuracy, mean / cwmed):
/// none 0.805 / 0.806, sf 0.526 / 0.723, lf 0.519 / 0.692, ipm(eps=2) 0.006 / 0.268, gaussian(sigma=10) 0.269 / 0.804,
/// alie 0.803 / 0.802, ipm 0.806 / 0.428, mimic 0.797 / 0.773 (µ²-SGD: sf 0.508 / 0.766, ipm(eps=2) 0.006 / 0.719).
/// </summary>
public class SyntheticTaskUnderAttackTests(ITestOutputHelper output)
{
    private static readonly Lazy<(DataSet Train, DataSet Test)> Task = new(() => SyntheticTask.Generate());

    [Theory]
    [InlineData("none", 0.75, 0.75)]
    [InlineData("sf", 0.0, 0.68)]
    [InlineData("gaussian(sigma=10)", 0.0, 0.75)]
    public void Mean_degrades_where_the_median_holds(string attack, double minMean, double minMedian)
    {
        var (train, test) = Task.Value;
        var options = OptimizerOptions.For(OptimizerKind.Momentum, 0.1f);
        var mean = AttackOnSyntheticTask.Run(attack, median: false, options, 300, 8, train, test);
        var median = AttackOnSyntheticTask.Run(attack, median: true, options, 300, 8, train, test);
        output.WriteLine($"{attack}: mean {mean:F3}, cwmed {median:F3}");
        Assert.True(mean >= minMean, $"mean accuracy {mean:F3} < {minMean}");
        Assert.True(median >= minMedian, $"cwmed accuracy {median:F3} < {minMedian}");
        if (attack != "none") Assert.True(mean < median - 0.1, $"under {attack} the mean ({mean:F3}) should trail the median ({median:F3}) clearly");
    }
}
