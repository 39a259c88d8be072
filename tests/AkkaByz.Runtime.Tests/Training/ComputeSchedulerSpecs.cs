using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Training;

/// <summary>The compute scheduler: one dedicated thread per core, oldest task first, at most one task per core at a time.</summary>
public sealed class ComputeSchedulerSpecs
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task At_most_one_task_per_core_runs_at_a_time()
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
        var tasks = Enumerable.Range(0, 64).Select(_ => ComputeScheduler.Run(Work)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(Patience);
        Assert.InRange(peak, 1, width);
    }

    [Fact]
    public async Task Tasks_run_on_the_schedulers_own_threads_and_a_waiting_task_is_taken_as_soon_as_a_core_frees_up()
    {
        var width = Environment.ProcessorCount;
        using var release = new ManualResetEventSlim();
        using var running = new CountdownEvent(width);
        var names = new System.Collections.Concurrent.ConcurrentBag<string?>();
        // Every core busy (other tests may hold some too: the blockers then wait their turn, which changes nothing below).
        var blockers = Enumerable.Range(0, width).Select(_ => ComputeScheduler.Run(() =>
        {
            names.Add(Thread.CurrentThread.Name);
            running.Signal();
            release.Wait(Patience);
        })).ToArray();
        Assert.True(running.Wait(Patience), "the blockers never all ran");
        var waiting = ComputeScheduler.Run(() => Thread.CurrentThread.Name);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted); // no core free: it waits, it is not run inline or on another thread
        release.Set();
        names.Add(await waiting.WaitAsync(Patience));
        await Task.WhenAll(blockers).WaitAsync(Patience);
        Assert.All(names, n => Assert.StartsWith("akkabyz-compute-", n));
    }

    [Fact]
    public async Task A_failing_task_faults_its_task_and_the_scheduler_keeps_working()
    {
        var failed = ComputeScheduler.Run(() => throw new InvalidOperationException("boom"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Patience));
        Assert.Equal("boom", e.Message);
        Assert.Equal(42, await ComputeScheduler.Run(() => 42).WaitAsync(Patience));
    }
}
