using System.Diagnostics;
using System.Runtime;
using AkkaByz.Runtime.Training;
using AkkaByz.Torch;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>
/// Where the time of a timed training run went, per round: the model's phases (<see cref="TorchProfiler"/>), the worker's
/// (<see cref="RoundProfiler"/>), the aggregation, GC pauses, the process's other CPU time (messaging, scheduling) and the
/// core time nobody in the process used (cores idle at the barrier, or taken by other processes on a shared machine).
/// All figures are core-milliseconds per round except <see cref="WallMs"/> and <see cref="GcPauseMs"/> (wall).
/// </summary>
public sealed record RoundProfile(
    long Rounds, double WallMs, double GradientsPerRound,
    double CopyInMs, double InputMs, double ForwardMs, double BackwardMs, double CopyOutMs, double GradientWrapperMs,
    double SampleMs, double OptimizerMs, double CraftMs, double AggregateMs, double GcPauseMs, int Gen0, int Gen1, int Gen2,
    double CpuMs, double OtherCpuMs, double IdleMs, double AllocatedKiB = 0)
{
    public double RoundsPerSecond => 1000 / WallMs;

    /// <summary>Sum of the model's phases per round (core time).</summary>
    public double ModelMs => CopyInMs + InputMs + ForwardMs + BackwardMs + CopyOutMs;

    /// <summary>Starts timing: resets the counters and turns the profilers on.</summary>
    public static Probe Begin()
    {
        TorchProfiler.Reset();
        RoundProfiler.Reset();
        TorchProfiler.Enabled = true;
        RoundProfiler.Enabled = true;
        return new Probe();
    }

    public sealed class Probe
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly TimeSpan _gc = GC.GetTotalPauseDuration();
        private readonly long _allocated = GC.GetTotalAllocatedBytes(false);
        private readonly int _g0 = GC.CollectionCount(0), _g1 = GC.CollectionCount(1), _g2 = GC.CollectionCount(2);

        /// <summary>Stops timing <paramref name="rounds"/> rounds; <paramref name="aggregateMs"/> overrides the plain loop's aggregation timer (actor runs report it per round).</summary>
        public RoundProfile End(long rounds, double wallSeconds, double? aggregateMs = null)
        {
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMilliseconds;
            var gc = (GC.GetTotalPauseDuration() - _gc).TotalMilliseconds;
            var allocatedKiB = (GC.GetTotalAllocatedBytes(false) - _allocated) / 1024.0 / rounds;
            TorchProfiler.Enabled = false;
            RoundProfiler.Enabled = false;
            double R(TimeSpan t) => t.TotalMilliseconds / rounds;
            double Torch(TorchProfiler.Phase p) => R(TorchProfiler.Total(p));
            double Round(RoundProfiler.Phase p) => R(RoundProfiler.Total(p));
            var wall = wallSeconds * 1000 / rounds;
            var copyIn = Torch(TorchProfiler.Phase.CopyIn);
            var input = Torch(TorchProfiler.Phase.Input);
            var forward = Torch(TorchProfiler.Phase.Forward);
            var backward = Torch(TorchProfiler.Phase.Backward);
            var copyOut = Torch(TorchProfiler.Phase.CopyOut);
            var gradient = Round(RoundProfiler.Phase.Gradient);
            var model = copyIn + input + forward + backward + copyOut;
            var wrapper = TorchProfiler.Calls > 0 ? Math.Max(0, gradient - model) : gradient; // logreg: the whole gradient
            var sample = Round(RoundProfiler.Phase.Sample);
            var optimizer = Round(RoundProfiler.Phase.Optimizer);
            var craft = Round(RoundProfiler.Phase.Craft);
            var aggregate = aggregateMs is { } a ? a / rounds : Round(RoundProfiler.Phase.Aggregate);
            var cpuPerRound = cpu / rounds;
            var accounted = model + wrapper + sample + optimizer + craft + aggregate;
            var gradients = TorchProfiler.Calls > 0 ? TorchProfiler.Calls : RoundProfiler.Count(RoundProfiler.Phase.Gradient);
            return new RoundProfile(rounds, wall, (double)gradients / rounds, copyIn, input, forward, backward, copyOut, wrapper, sample, optimizer, craft,
                aggregate, gc / rounds, GC.CollectionCount(0) - _g0, GC.CollectionCount(1) - _g1, GC.CollectionCount(2) - _g2,
                cpuPerRound, Math.Max(0, cpuPerRound - accounted), Math.Max(0, Environment.ProcessorCount * wall - cpuPerRound), allocatedKiB);
        }
    }

    /// <summary>The .NET runtime settings a run uses (GC mode, tiered compilation), for the benchmark's header.</summary>
    public static string RuntimeSettings() =>
        $"GC {(GCSettings.IsServerGC ? "server" : "workstation")}{(AppContext.TryGetSwitch("System.GC.Concurrent", out var c) && !c ? " non-concurrent" : " concurrent")}, " +
        $"latency {GCSettings.LatencyMode}, TieredPGO {(AppContext.GetData("System.Runtime.TieredPGO") ?? "default")}, " +
        $"TieredCompilation {(AppContext.GetData("System.Runtime.TieredCompilation") ?? "default")}";
}
