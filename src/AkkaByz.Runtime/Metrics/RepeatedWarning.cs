namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// Which occurrences of a warning that can repeat every round are printed: the first <see cref="LoggedFirst"/>, then
/// every <see cref="Every"/>th, each with its running count, so that a steady condition does not flood the log.
/// </summary>
internal static class RepeatedWarning
{
    public const int LoggedFirst = 5;
    public const int Every = 100;

    /// <summary>Whether occurrence number <paramref name="count"/> (1-based) is printed.</summary>
    public static bool ShouldLog(long count) => count >= 1 && (count <= LoggedFirst || count % Every == 0);

    /// <summary>The count note of a printed occurrence: "N so far", and at the last of the first ones what comes next.</summary>
    public static string Note(long count) =>
        count == LoggedFirst ? $"{count} so far; further ones logged every {Every}th" : $"{count} so far";
}
