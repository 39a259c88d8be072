using Akka.Configuration;

namespace AkkaByz.Runtime.Configuration;

/// <summary>Reads one key of a settings section so that every error names the key (shared by the node-level settings readers).</summary>
public static class ConfigKey
{
    /// <summary>
    /// <paramref name="read"/>(<paramref name="path"/>), or a <see cref="SettingsException"/> "PATH: missing." when the key
    /// is absent and "PATH: not valid here (...)." when reading it fails.
    /// </summary>
    public static T Read<T>(Config config, string path, Func<string, T> read)
    {
        if (!config.HasPath(path)) throw new SettingsException($"{path}: missing.");
        try { return read(path); }
        catch (Exception e) when (e is not SettingsException) { throw new SettingsException($"{path}: not valid here ({e.Message.TrimEnd('.')}).", e); }
    }
}
