using AkkaByz.Runtime.Metrics;

namespace AkkaByz.Runtime.Tests.MetricsSpecs;

/// <summary>A warning that can repeat every round (a rejected update, a fired deadline, a skipped checkpoint) is
/// printed for its first 5 occurrences, then every 100th, with its running count.</summary>
public sealed class RepeatedWarningSpecs
{
    [Fact]
    public void The_first_five_then_every_hundredth_occurrence_is_printed()
    {
        var printed = Enumerable.Range(1, 1000).Where(n => RepeatedWarning.ShouldLog(n)).ToArray();
        Assert.Equal([1, 2, 3, 4, 5, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000], printed);
        Assert.False(RepeatedWarning.ShouldLog(0));
    }

    [Fact]
    public void The_fifth_says_what_comes_next_and_the_others_give_the_count()
    {
        Assert.Equal("4 so far", RepeatedWarning.Note(4));
        Assert.Equal("5 so far; further ones logged every 100th", RepeatedWarning.Note(5));
        Assert.Equal("200 so far", RepeatedWarning.Note(200));
    }
}
