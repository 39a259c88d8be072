using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// The output folder of a run (<c>--out DIR</c>, <c>akkabyz.output.dir</c>). A new or empty folder is used as is. A
/// folder that holds an earlier AkkaByz run — only files a run writes, at least one of metrics.csv and summary.json —
/// is reused: those files are deleted first, so nothing stale (an old chart.png) is left beside the new run. Any other
/// non-empty folder, and a path that is a file, are refused: a typo in --out must not overwrite or mix into
/// unrelated files.
/// </summary>
public static class RunOutput
{
    /// <summary>Every file a local or cluster run writes into its folder.</summary>
    public static readonly IReadOnlyList<string> RunFiles = ["metrics.csv", "summary.json", "chart.png", "trimming.png", "parameters.bin", "cluster.json"];

    /// <summary>Creates or clears <paramref name="directory"/> for a new run.</summary>
    /// <exception cref="SettingsException">The path is a file, or a non-empty folder that is not an AkkaByz run.</exception>
    public static void Prepare(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        const string key = "akkabyz.output.dir (--out)";
        if (File.Exists(directory))
            throw new SettingsException($"{key}: '{directory}' is a file, not a folder; choose a new or empty folder.");
        if (!Directory.Exists(directory))
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SettingsException($"{key}: cannot create '{directory}': {e.Message}", e);
            }
            return;
        }
        var entries = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().ToArray();
        if (entries.Length == 0) return;
        var foreign = entries.Where(e => !RunFiles.Contains(e, StringComparer.Ordinal)).ToArray();
        var isRun = foreign.Length == 0 && (entries.Contains("metrics.csv") || entries.Contains("summary.json"));
        if (!isRun)
            throw new SettingsException($"{key}: '{directory}' is not empty and not an AkkaByz run folder (it holds " +
                                        $"{string.Join(", ", (foreign.Length > 0 ? foreign : entries).Take(3).Select(e => $"'{e}'"))}" +
                                        $"{(entries.Length > 3 ? ", ..." : "")}); choose a new or empty folder.");
        try
        {
            foreach (var file in entries) File.Delete(Path.Combine(directory, file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"{key}: cannot clear the earlier run in '{directory}': {e.Message}", e);
        }
    }
}
