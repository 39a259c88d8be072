using System.Diagnostics;

namespace AkkaByz.Torch;

/// <summary>
/// Opt-in timers inside <see cref="Models.TorchModel.LossAndGradient"/>: copying the flat vector into the module,
/// assembling the input batch, the forward pass (with the loss), the backward pass and copying the gradients out.
/// Off by default (then each phase costs one branch); <c>akkabyz bench runtime</c> turns it on to print a per-phase
/// breakdown of a round. Totals are core time summed over all threads (Stopwatch ticks), so two workers computing at
/// once add up to twice the wall time.
/// </summary>
public static class TorchProfiler
{
    /// <summary>The timed phases of one gradient call.</summary>
    public enum Phase { CopyIn, Input, Forward, Backward, CopyOut }

    private static readonly long[] Ticks = new long[Enum.GetValues<Phase>().Length];
    private static long _calls;

    /// <summary>Whether the phases are being timed (set before a measured run; reads are not synchronised).</summary>
    public static bool Enabled { get; set; }

    /// <summary>Gradient calls timed since the last <see cref="Reset"/>.</summary>
    public static long Calls => Interlocked.Read(ref _calls);

    /// <summary>A timestamp when timing, 0 otherwise.</summary>
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="phase"/>; returns the new timestamp (for the next phase).</summary>
    public static long Lap(Phase phase, long start)
    {
        if (start == 0) return 0;
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref Ticks[(int)phase], now - start);
        return now;
    }

    internal static void CountCall()
    {
        if (Enabled) Interlocked.Increment(ref _calls);
    }

    /// <summary>Total core time of <paramref name="phase"/> since the last <see cref="Reset"/>.</summary>
    public static TimeSpan Total(Phase phase) => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref Ticks[(int)phase]));

    public static void Reset()
    {
        for (int i = 0; i < Ticks.Length; i++) Interlocked.Exchange(ref Ticks[i], 0);
        Interlocked.Exchange(ref _calls, 0);
    }
}
