using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Training;

/// <summary>The compute scheduler's two lanes: background work never takes a core while foreground work waits.</summary>
public sealed class ComputeSchedulerSpecs
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_free_core_takes_waiting_foreground_work_before_background_work_queued_earlier()
    {
        var width = Environment.ProcessorCount;
        using var first = new ManualResetEventSlim();
        using var second = new ManualResetEventSlim();
        using var blockersRunning = new CountdownEvent(width);
        using var foregroundRunning = new CountdownEvent(width);
        // Every core busy (other tests may hold some too: the blockers then wait their turn, which changes nothing below).
        var blockers = Enumerable.Range(0, width).Select(_ => ComputeScheduler.Run(() => { blockersRunning.Signal(); first.Wait(Patience); })).ToArray();
        Assert.True(blockersRunning.Wait(Patience), "the blockers never all ran");
        var backgroundStarted = false;
        var background = ComputeScheduler.RunBackground(() => Volatile.Write(ref backgroundStarted, true));
        var foreground = Enumerable.Range(0, width).Select(_ => ComputeScheduler.Run(() => { foregroundRunning.Signal(); second.Wait(Patience); })).ToArray();

        first.Set();
        Assert.True(foregroundRunning.Wait(Patience), "the foreground tasks queued after the background one did not all start");
        await Task.Delay(50);
        Assert.False(Volatile.Read(ref backgroundStarted)); // every core went to the later foreground tasks

        second.Set();
        await background.WaitAsync(Patience);
        Assert.True(Volatile.Read(ref backgroundStarted));
        await Task.WhenAll(blockers.Concat(foreground)).WaitAsync(Patience);
    }

    [Fact]
    public async Task At_most_one_task_per_core_runs_at_a_time_across_both_lanes()
    {
        var width = Environment.ProcessorCount;
        int running = 0, peak = 0;
        void Work()
        {
            var now = Interlocked.Increment(ref running);
            int seen;
            while ((seen = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen) { }
            Thread.SpinWait(20_000);
            Interlocked.Decrement(ref running);
        }
        var tasks = Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? ComputeScheduler.Run(Work) : ComputeScheduler.RunBackground(Work)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(Patience);
        Assert.InRange(peak, 1, width);
    }

    [Fact]
    public async Task A_failing_background_task_faults_its_task_and_the_lanes_keep_working()
    {
        var failed = ComputeScheduler.RunBackground(() => throw new InvalidOperationException("boom"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Patience));
        Assert.Equal("boom", e.Message);
        Assert.Equal(42, await ComputeScheduler.Run(() => 42).WaitAsync(Patience));
    }
}
