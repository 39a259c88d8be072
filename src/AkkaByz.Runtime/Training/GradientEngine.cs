using AkkaByz.Core.Data;
using AkkaByz.Torch;

namespace AkkaByz.Runtime.Training;

/// <summary>Computes gradient k of many at once: <paramref name="points"/>[k] on minibatch <paramref name="batches"/>[k] of <paramref name="data"/>.</summary>
public delegate void BatchedGradients(IReadOnlyList<float[]> points, DataSet data, IReadOnlyList<int[]> batches, IReadOnlyList<float[]> gradients, double[] losses);

/// <summary>
/// A node-local gradient engine (<c>training.gradient-engine = batched</c>): every honest worker of a node evaluates its
/// gradients at the same published point (and µ²-SGD's second gradient at the same previous point), so the engine
/// collects the round's <see cref="WorkerComputation.GradientJob"/>s of all its workers and computes them in one
/// batched call (<see cref="BatchedGradients"/>, e.g. <see cref="AkkaByz.Torch.Models.BatchedMnistCnn"/>: each
/// worker's BatchNorm statistics stay those of its own batch) with a torch thread per core, then hands each worker its
/// gradients. Worker actors, protocol and attacks are unchanged; only where the gradient calls run changes. A round's
/// batch runs when every member has submitted, or <see cref="FlushAfter"/> after the first submission (a member that
/// stopped without leaving). Not bit-identical to one call per gradient (other kernels; float rounding).
/// </summary>
public sealed class GradientEngine
{
    private readonly BatchedGradients _compute;
    private readonly DataSet _data;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Pending> _rounds = [];
    private int _members;

    public GradientEngine(BatchedGradients compute, DataSet data)
    {
        _compute = compute ?? throw new ArgumentNullException(nameof(compute));
        _data = data ?? throw new ArgumentNullException(nameof(data));
    }

    /// <summary>How long a round's batch waits for missing members after the first submission.</summary>
    public TimeSpan FlushAfter { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The data set every job must use (the honest workers' training set).</summary>
    public DataSet Data => _data;

    /// <summary>Batched calls made so far (diagnostics).</summary>
    public long Calls { get; private set; }

    internal void Join()
    {
        lock (_gate) _members++;
    }

    internal void Leave()
    {
        List<Pending> ready = [];
        lock (_gate)
        {
            _members--;
            foreach (var (round, p) in _rounds)
                if (p.Submissions >= _members) ready.Add(p);
            foreach (var p in ready) _rounds.Remove(p.Round);
        }
        foreach (var p in ready) Run(p);
    }

    /// <summary>Adds a member's jobs for <paramref name="round"/>; the task completes once they are computed.</summary>
    internal Task Submit(long round, ReadOnlySpan<WorkerComputation.GradientJob> jobs)
    {
        Pending? ready = null;
        Task done;
        lock (_gate)
        {
            if (!_rounds.TryGetValue(round, out var p))
            {
                p = new Pending(round);
                _rounds[round] = p;
                var timer = new Timer(_ => Expire(round, p), null, FlushAfter, Timeout.InfiniteTimeSpan);
                p.Timer = timer;
            }
            p.Jobs.AddRange(jobs);
            p.Submissions++;
            done = p.Done.Task;
            if (p.Submissions >= _members)
            {
                _rounds.Remove(round);
                ready = p;
            }
        }
        if (ready is not null) Run(ready);
        return done;
    }

    private void Expire(long round, Pending p)
    {
        lock (_gate)
        {
            if (!_rounds.Remove(round, out var q) || !ReferenceEquals(q, p)) return;
        }
        Run(p);
    }

    private void Run(Pending p)
    {
        p.Timer?.Dispose();
        ComputeScheduler.Run(() =>
        {
            try
            {
                var jobs = p.Jobs;
                var points = new float[jobs.Count][];
                var batches = new int[jobs.Count][];
                var gradients = new float[jobs.Count][];
                var losses = new double[jobs.Count];
                for (var i = 0; i < jobs.Count; i++) (points[i], batches[i], gradients[i]) = jobs[i].Parts();
                long t = RoundProfiler.Start();
                TorchRuntime.WithThreads(Environment.ProcessorCount, () => _compute(points, _data, batches, gradients, losses));
                if (t != 0) RoundProfiler.Lap(RoundProfiler.Phase.Gradient, t);
                for (var i = 0; i < jobs.Count; i++) jobs[i].Done(losses[i]);
                lock (_gate) Calls++;
                p.Done.SetResult();
            }
            catch (Exception e)
            {
                p.Done.SetException(e);
            }
        });
    }

    private sealed class Pending(long round)
    {
        public long Round { get; } = round;
        public List<WorkerComputation.GradientJob> Jobs { get; } = [];
        public int Submissions { get; set; }
        public Timer? Timer { get; set; }
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The batched gradient kernels available (<c>training.gradient-engine = batched</c>).</summary>
public static class GradientEngines
{
    /// <summary>A batched kernel computing what <paramref name="model"/> computes per call, or null when there is none for it.</summary>
    public static BatchedGradients? For(Core.Models.IGradientModel model) =>
        model is Torch.Models.TorchModel { Name: "cnn-mnist" } torchModel
            ? new Torch.Models.BatchedMnistCnn(torchModel).LossAndGradients
            : null;
}
