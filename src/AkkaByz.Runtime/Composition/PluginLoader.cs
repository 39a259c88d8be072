using System.Reflection;
using System.Runtime.Loader;
using AkkaByz.Core.Plugins;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// Loads plugin assemblies (<c>--plugin FILE.dll</c>) into the default load context, so they share this process's
/// AkkaByz.Core, and runs each <see cref="IAkkaByzPlugin"/> they contain. Loading the same file twice is a no-op.
/// </summary>
public static class PluginLoader
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Loaded = new(StringComparer.Ordinal);

    /// <summary>Loads every file of <paramref name="paths"/>; returns the names of the plugin types registered.</summary>
    /// <exception cref="SettingsException">A file is missing, not a .NET assembly, holds no plugin, or its registration fails.</exception>
    public static IReadOnlyList<string> Load(IEnumerable<string> paths)
    {
        var names = new List<string>();
        foreach (var path in paths) names.AddRange(Load(path));
        return names;
    }

    /// <inheritdoc cref="Load(IEnumerable{string})"/>
    public static IReadOnlyList<string> Load(string path)
    {
        var full = Path.GetFullPath(path);
        lock (Gate)
        {
            if (Loaded.Contains(full)) return [];
            if (!File.Exists(full)) throw new SettingsException($"--plugin {path}: no such file.");
            Assembly assembly;
            try
            {
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(full);
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or IOException)
            {
                throw new SettingsException($"--plugin {path}: not a loadable .NET assembly ({e.Message}).", e);
            }
            Type[] types;
            try
            {
                types = assembly.GetExportedTypes();
            }
            catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
            {
                throw new SettingsException($"--plugin {path}: its types cannot be loaded ({e.Message}).", e);
            }
            var plugins = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IAkkaByzPlugin).IsAssignableFrom(t)
                                           && t.GetConstructor(Type.EmptyTypes) is not null).ToArray();
            if (plugins.Length == 0)
                throw new SettingsException($"--plugin {path}: the assembly has no public class implementing {nameof(IAkkaByzPlugin)}.");
            foreach (var type in plugins)
            {
                try
                {
                    ((IAkkaByzPlugin)Activator.CreateInstance(type)!).Register();
                }
                catch (Exception e)
                {
                    var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
                    throw new SettingsException($"--plugin {path}: {type.FullName}.Register failed: {inner.Message}", inner);
                }
            }
            Loaded.Add(full);
            return plugins.Select(t => t.FullName!).ToArray();
        }
    }
}
