using System.Reflection;
using Akka.Configuration;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Builds a node's configuration: flags (port, hostname, seeds, role) ← <c>--config FILE</c> ← the embedded
/// cluster-reference.conf ← the embedded reference.conf; and the run's config layers (the file and the run flags,
/// sent by the aggregator to every worker so the run has one source of truth).
/// </summary>
public static class ClusterConfig
{
    /// <summary>The name of every node's actor system (addresses are akka.tcp://akkabyz@host:port).</summary>
    public const string SystemName = "akkabyz";

    /// <summary>The embedded cluster defaults.</summary>
    public static Config Reference { get; } = Load();

    private static Config Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AkkaByz.Runtime.cluster-reference.conf")
            ?? throw new InvalidOperationException("AkkaByz.Runtime.cluster-reference.conf is not embedded in AkkaByz.Runtime.dll.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The node's full configuration and the run's config layers (texts, in order of increasing priority).</summary>
    /// <exception cref="SettingsException">The file is missing or does not parse, or a flag is malformed.</exception>
    public static (Config Node, IReadOnlyList<string> RunLayers) Build(ClusterNodeOptions options)
    {
        var layers = new List<string>();
        if (options.ConfigFile is { } file)
        {
            AkkaByzConfig.Load(file); // validates existence, syntax and the akkabyz keys, with clear messages
            layers.Add(ConfigFile.ReadExpanded(file)); // includes expanded: workers receive self-contained text
        }
        var run = options.RunOverrides.ToList();
        if (options.Role == NodeRole.Aggregator && options.DataSource is { } data)
            run.Add(new("akkabyz.data.source", AkkaByzConfig.Quote(data)));
        if (run.Count > 0) layers.Add(string.Join("\n", run.Select(kv => $"{kv.Key} = {kv.Value}")));

        var node = new List<string>
        {
            $"akka.cluster.roles = [{(options.Role == NodeRole.Aggregator ? "aggregator" : "worker")}]",
        };
        if (options.Port is { } port)
        {
            if (port is < 0 or > 65535) throw new SettingsException($"--port: {port} is not a TCP port (0..65535).");
            node.Add($"akka.remote.dot-netty.tcp.port = {port}");
        }
        if (options.Hostname is { } host) node.Add($"akka.remote.dot-netty.tcp.hostname = {AkkaByzConfig.Quote(host)}");
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(string.Join("\n", node));
            if (options.ExtraHocon is { } extra) config = config.WithFallback(ConfigurationFactory.ParseString(extra));
            foreach (var layer in Enumerable.Reverse(layers)) config = config.WithFallback(ConfigurationFactory.ParseString(layer));
        }
        catch (Exception e) when (e is not SettingsException)
        {
            throw new SettingsException($"node configuration is not valid HOCON: {e.Message}", e);
        }
        config = config.WithFallback(Reference).WithFallback(AkkaByzConfig.Reference);
        var tls = CheckTls(config);
        if (options.SeedNodes.Count > 0)
        {
            var seeds = AkkaByzConfig.QuoteList(options.SeedNodes.Select(s => SeedAddress(s, tls)));
            config = ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = {seeds}").WithFallback(config);
        }
        return (config, layers);
    }

    /// <summary>The run configuration from its layers, with this node's own data path (if any) on top.</summary>
    public static Config RunConfig(IReadOnlyList<string> layers, string? localDataSource)
    {
        var config = AkkaByzConfig.Reference;
        foreach (var layer in layers) config = ConfigurationFactory.ParseString(layer).WithFallback(config);
        if (localDataSource is not null)
            config = ConfigurationFactory.ParseString($"akkabyz.data.source = {AkkaByzConfig.Quote(localDataSource)}").WithFallback(config);
        return config;
    }

    /// <summary>
    /// True when TLS is on (<c>akka.remote.dot-netty.tcp.enable-ssl</c>); then the PFX file must exist. Addresses
    /// become <c>akka.ssl.tcp://</c>.
    /// </summary>
    /// <exception cref="SettingsException">TLS is on but the certificate path is empty or the file is missing.</exception>
    public static bool CheckTls(Config config)
    {
        if (!config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false)) return false;
        var path = config.GetString("akka.remote.dot-netty.tcp.ssl.certificate.path", "");
        if (string.IsNullOrWhiteSpace(path))
            throw new SettingsException("akka.remote.dot-netty.tcp.ssl.certificate.path: TLS is enabled (enable-ssl = on) but no PFX file is configured (see docs/cluster.md, TLS).");
        if (!File.Exists(path))
            throw new SettingsException($"akka.remote.dot-netty.tcp.ssl.certificate.path: the PFX file '{path}' does not exist (relative paths are relative to the working directory {Environment.CurrentDirectory}).");
        return true;
    }

    /// <summary><c>host:port</c> → <c>akka.tcp://akkabyz@host:port</c> (<c>akka.ssl.tcp</c> with TLS); full addresses pass through.</summary>
    public static string SeedAddress(string seed, bool tls = false)
    {
        seed = seed.Trim();
        if (seed.Contains("://", StringComparison.Ordinal)) return seed;
        var colon = seed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(seed[(colon + 1)..], out var port) || port is <= 0 or > 65535)
            throw new SettingsException($"--seed-nodes: '{seed}' is not host:port or akka.tcp://{SystemName}@host:port.");
        return $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{SystemName}@{seed}";
    }
}
