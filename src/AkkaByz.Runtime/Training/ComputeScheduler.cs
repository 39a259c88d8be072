namespace AkkaByz.Runtime.Training;

/// <summary>
/// Where the actors run their heavy work (gradients, evaluation, aggregation): one dedicated thread per core, so at most
/// one task per core at a time. Seventeen workers handing their round to the thread pool at once would let it inject
/// extra threads that then time-slice native (TorchSharp) kernels against each other.
/// <para>
/// Two lanes share those cores: <see cref="Run{T}"/> (the round's critical path) and <see cref="RunBackground"/> (work
/// that is useful early but must never delay the round: a worker's lookahead gradient for the next round). A free core
/// takes the oldest foreground task, and a background task only when no foreground task waits; a running task is never
/// interrupted, so a background task delays foreground work by at most its own length.
/// </para>
/// </summary>
public static class ComputeScheduler
{
    private static readonly Lanes Pool = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>Work measured below this runs inline on the actor's thread: the hand-off to the pool and the
    /// pipe-back cost more than the work itself (e.g. a logistic-regression gradient on a small batch).</summary>
    public static readonly TimeSpan InlineBelow = TimeSpan.FromMilliseconds(0.2);

    private static readonly long InlineBelowTicks = (long)(InlineBelow.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    /// <summary>True when work that last took <paramref name="stopwatchTicks"/> (Stopwatch ticks) should run inline.</summary>
    public static bool IsTiny(long stopwatchTicks) => stopwatchTicks < InlineBelowTicks;

    /// <summary>Runs <paramref name="work"/> on the bounded compute scheduler.</summary>
    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Pool.Foreground);

    /// <summary>Runs <paramref name="work"/> on the bounded compute scheduler.</summary>
    public static Task Run(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Pool.Foreground);

    /// <summary>Runs <paramref name="work"/> on the same cores, but only when no foreground task is waiting.</summary>
    public static Task RunBackground(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Pool.Background);

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
        }, CancellationToken.None, TaskContinuationOptions.DenyChildAttach, Pool.Foreground);

    /// <summary>
    /// Two queues drained by <see cref="Width"/> dedicated threads (started on first use, alive for the process),
    /// foreground first. Dedicated rather than thread-pool threads: a core's gradient calls then keep running on the
    /// same thread, so the model instance it rents comes back to it (<see cref="ModelPool"/>) with its memory, and
    /// libtorch's and the allocator's per-thread caches, still warm, as in the gradient bound's measurement.
    /// </summary>
    private sealed class Lanes
    {
        private readonly object _gate = new(); // a monitor (Wait/Pulse), not a System.Threading.Lock
        private readonly Queue<Task> _foreground = new();
        private readonly Queue<Task> _background = new();
        private Thread[]? _threads;
        private int _waiting;

        public Lanes(int width)
        {
            Width = width;
            Foreground = new Lane(this, background: false);
            Background = new Lane(this, background: true);
        }

        public int Width { get; }
        public Lane Foreground { get; }
        public Lane Background { get; }

        public void Enqueue(Task task, bool background)
        {
            lock (_gate)
            {
                (background ? _background : _foreground).Enqueue(task);
                if (_threads is null) Start();
                else if (_waiting > 0) Monitor.Pulse(_gate);
            }
        }

        private void Start()
        {
            _threads = new Thread[Width];
            for (var i = 0; i < Width; i++)
            {
                _threads[i] = new Thread(Drain) { IsBackground = true, Name = $"akkabyz-compute-{i}" };
                _threads[i].Start();
            }
        }

        private void Drain()
        {
            while (true)
            {
                Task? task;
                Lane lane;
                lock (_gate)
                {
                    while (true)
                    {
                        if (_foreground.TryDequeue(out task)) { lane = Foreground; break; }
                        if (_background.TryDequeue(out task)) { lane = Background; break; }
                        _waiting++;
                        Monitor.Wait(_gate);
                        _waiting--;
                    }
                    // More work queued than this thread takes: wake another idle one.
                    if (_waiting > 0 && _foreground.Count + _background.Count > 0) Monitor.Pulse(_gate);
                }
                lane.Execute(task);
            }
        }

        public Task[] Snapshot(bool background)
        {
            lock (_gate) return [.. background ? _background : _foreground];
        }
    }

    private sealed class Lane(Lanes lanes, bool background) : TaskScheduler
    {
        public override int MaximumConcurrencyLevel => lanes.Width;
        protected override void QueueTask(Task task) => lanes.Enqueue(task, background);
        // Never inline: a task runs only when a lane's thread takes it, so the width bound holds.
        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;
        protected override IEnumerable<Task> GetScheduledTasks() => lanes.Snapshot(background);
        public void Execute(Task task) => TryExecuteTask(task);
    }
}
