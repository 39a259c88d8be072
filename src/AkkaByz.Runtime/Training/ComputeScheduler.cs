namespace AkkaByz.Runtime.Training;

/// <summary>
/// Where the actors run their heavy work (gradients, evaluation, aggregation): one dedicated thread per core, so at most
/// one task per core at a time, oldest first. Seventeen workers handing their round to the thread pool at once would let
/// it inject extra threads that then time-slice native (TorchSharp) kernels against each other.
/// </summary>
public static class ComputeScheduler
{
    private static readonly Cores Pool = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>Work measured below this runs inline on the actor's thread: the hand-off to the pool and the
    /// pipe-back cost more than the work itself (e.g. a logistic-regression gradient on a small batch).</summary>
    public static readonly TimeSpan InlineBelow = TimeSpan.FromMilliseconds(0.2);

    private static readonly long InlineBelowTicks = (long)(InlineBelow.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    /// <summary>True when work that last took <paramref name="stopwatchTicks"/> (Stopwatch ticks) should run inline.</summary>
    public static bool IsTiny(long stopwatchTicks) => stopwatchTicks < InlineBelowTicks;

    /// <summary>Runs <paramref name="work"/> on the bounded compute scheduler.</summary>
    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Pool);

    /// <summary>Runs <paramref name="work"/> on the bounded compute scheduler.</summary>
    public static Task Run(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Pool);

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
        }, CancellationToken.None, TaskContinuationOptions.DenyChildAttach, Pool);

    /// <summary>
    /// One queue drained by <see cref="MaximumConcurrencyLevel"/> dedicated threads (started on first use, alive for the
    /// process). Dedicated rather than thread-pool threads: a core's gradient calls then keep running on the same
    /// thread, so the model instance it rents comes back to it (<see cref="ModelPool"/>) with its memory, and libtorch's
    /// and the allocator's per-thread caches, still warm, as in the gradient bound's measurement.
    /// </summary>
    private sealed class Cores(int width) : TaskScheduler
    {
        private readonly object _gate = new(); // a monitor (Wait/Pulse), not a System.Threading.Lock
        private readonly Queue<Task> _queue = new();
        private Thread[]? _threads;
        private int _waiting;

        public override int MaximumConcurrencyLevel => width;

        protected override void QueueTask(Task task)
        {
            lock (_gate)
            {
                _queue.Enqueue(task);
                if (_threads is null) Start();
                else if (_waiting > 0) Monitor.Pulse(_gate);
            }
        }

        // Never inline: a task runs only when one of the threads takes it, so the width bound holds.
        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

        protected override IEnumerable<Task> GetScheduledTasks()
        {
            lock (_gate) return [.. _queue];
        }

        private void Start()
        {
            _threads = new Thread[width];
            for (var i = 0; i < width; i++)
            {
                _threads[i] = new Thread(Drain) { IsBackground = true, Name = $"akkabyz-compute-{i}" };
                _threads[i].Start();
            }
        }

        private void Drain()
        {
            while (true)
            {
                Task task;
                lock (_gate)
                {
                    while (!_queue.TryDequeue(out task!))
                    {
                        _waiting++;
                        Monitor.Wait(_gate);
                        _waiting--;
                    }
                    // More work queued than this thread takes: wake another idle one.
                    if (_waiting > 0 && _queue.Count > 0) Monitor.Pulse(_gate);
                }
                TryExecuteTask(task);
            }
        }
    }
}
