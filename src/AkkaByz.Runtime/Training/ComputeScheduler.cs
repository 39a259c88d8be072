namespace AkkaByz.Runtime.Training;

/// <summary>
/// Where the actors run their heavy work (gradients, evaluation, aggregation): the thread pool, but at most one task
/// per core at a time. Seventeen workers handing their round to the pool at once would otherwise let it inject
/// extra threads that then time-slice native (TorchSharp) kernels against each other.
/// </summary>
public static class ComputeScheduler
{
    private static readonly TaskScheduler Scheduler =
        new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, Math.Max(1, Environment.ProcessorCount)).ConcurrentScheduler;

    /// <summary>Work measured below this runs inline on the actor's thread: the hand-off to the pool and the
    /// pipe-back cost more than the work itself (e.g. a logistic-regression gradient on a small batch).</summary>
    public static readonly TimeSpan InlineBelow = TimeSpan.FromMilliseconds(0.2);

    private static readonly long InlineBelowTicks = (long)(InlineBelow.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    /// <summary>True when work that last took <paramref name="stopwatchTicks"/> (Stopwatch ticks) should run inline.</summary>
    public static bool IsTiny(long stopwatchTicks) => stopwatchTicks < InlineBelowTicks;

    /// <summary>Runs <paramref name="work"/> on the bounded compute scheduler.</summary>
    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler);

    /// <summary>Runs <paramref name="work"/> on the bounded compute scheduler.</summary>
    public static Task Run(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler);

    /// <summary>
    /// Runs <paramref name="work"/> on the compute scheduler once every task of <paramref name="parts"/> has finished; if one
    /// of them failed, the result fails with its exception instead.
    /// </summary>
    public static Task<T> WhenAll<T>(Task[] parts, Func<T> work) =>
        Task.Factory.ContinueWhenAll(parts, done =>
        {
            foreach (var part in done)
                if (part.Exception is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions.Count == 1 ? e.InnerException! : e);
            return work();
        }, CancellationToken.None, TaskContinuationOptions.DenyChildAttach, Scheduler);
}
