using System.Diagnostics;

namespace AkkaByz.Runtime.Training;

/// <summary>
/// Opt-in timers for the parts of a round outside the model: drawing the minibatch, the gradient calls as the worker
/// sees them, the worker optimizer around them (clipping, the µ²-SGD combination, copies), the whole worker
/// computation, the attack's crafting and the aggregation with the server step (plain loop). Off by default (one
/// branch per phase); <c>akkabyz bench runtime</c> enables it. Totals are core time summed over threads.
/// </summary>
public static class RoundProfiler
{
    public enum Phase { Sample, Gradient, Optimizer, Worker, Craft, Aggregate }

    private static readonly long[] Ticks = new long[Enum.GetValues<Phase>().Length];
    private static readonly long[] Counts = new long[Ticks.Length];

    public static bool Enabled { get; set; }

    /// <summary>A timestamp when timing, 0 otherwise.</summary>
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="phase"/>; returns the current timestamp.</summary>
    public static long Lap(Phase phase, long start)
    {
        if (start == 0) return 0;
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref Ticks[(int)phase], now - start);
        Interlocked.Increment(ref Counts[(int)phase]);
        return now;
    }

    /// <summary>Subtracts time already counted elsewhere (e.g. gradient calls inside the optimizer's time).</summary>
    public static void Deduct(Phase phase, long ticks)
    {
        if (Enabled) Interlocked.Add(ref Ticks[(int)phase], -ticks);
    }

    public static TimeSpan Total(Phase phase) => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref Ticks[(int)phase]));

    public static long Count(Phase phase) => Interlocked.Read(ref Counts[(int)phase]);

    public static void Reset()
    {
        for (int i = 0; i < Ticks.Length; i++)
        {
            Interlocked.Exchange(ref Ticks[i], 0);
            Interlocked.Exchange(ref Counts[i], 0);
        }
    }
}
