using System.Globalization;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// What to change when a run stopped because a round had too few valid updates (docs/runtime.md, The barrier):
/// every round needs more than 2f of them, so with m workers at most m − 2f − 1 may be missing. An omniscient attack
/// (ALIE, IPM, mimic) makes that tighter: its f Byzantine updates are crafted at the adversary tap from the honest
/// ones, so they wait for them (up to barrier.tap-timeout) and a dropped or slow honest update makes them late too.
/// </summary>
public static class RunAdvice
{
    /// <summary><paramref name="reason"/>, with what to change appended when it is a "too few valid updates" stop.</summary>
    public static string Explain(AkkaByzSettings settings, bool omniscientAttack, string reason)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!reason.Contains("cannot tolerate f", StringComparison.Ordinal) && !reason.Contains("below the quorum", StringComparison.Ordinal)) return reason;
        var m = settings.Workers;
        var f = settings.Byzantine;
        var slack = Math.Max(0, m - 2 * f - 1);
        var ms = (TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
        var why = omniscientAttack && f > 0
            ? $"every round needs more than 2f = {2 * f} valid updates, so with m = {m} at most {slack} may be missing or late; attack '{settings.Attack}' is omniscient: " +
              $"its {f} Byzantine updates are crafted from the honest ones and wait for them (barrier.tap-timeout = {ms(settings.Barrier.TapTimeout)}), " +
              "so one dropped or slow honest update can make them late as well. Lower f (--byzantine), raise akkabyz.barrier.tap-timeout and round-deadline " +
              $"(now {ms(settings.Barrier.RoundDeadline)}), or use a non-omniscient attack (sf, lf, gaussian, nan, inf)"
            : $"every round needs more than 2f = {2 * f} valid updates (and the quorum {settings.Barrier.Quorum}), so with m = {m} at most {slack} may be missing or late. " +
              $"Lower f (--byzantine), or raise akkabyz.barrier.round-deadline (now {ms(settings.Barrier.RoundDeadline)}) or max-retries";
        return $"{reason}. {why} (docs/runtime.md, The barrier).";
    }
}
