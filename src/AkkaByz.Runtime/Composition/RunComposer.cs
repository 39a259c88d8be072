using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// The one place where configuration names become implementations: data source, partition, model, optimizer,
/// aggregation rule and attack (see the catalogs next to this file).
/// </summary>
public static class RunComposer
{
    /// <summary>Builds everything a run needs from validated settings.</summary>
    /// <exception cref="SettingsException">A name is unknown or a file is missing; the message names the key.</exception>
    public static RunComponents Compose(AkkaByzSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        throw new SettingsException("akkabyz: the learning core is not wired in yet.");
    }
}
