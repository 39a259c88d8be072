using System.Reflection;
using Akka.Configuration;
using System.Net;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;

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
        if (options.CaCertificate is not null || options.NodeCertificate is not null)
        {
            if (options.CaCertificate is null || options.NodeCertificate is null)
                throw new SettingsException("--ca and --cert go together: the cluster CA's certificate (ca.crt) and this node's certificate (NAME.pfx); see docs/cluster.md, Certificates.");
            node.Add($"akkabyz-cluster.security {{ mode = mtls, ca-certificate = {AkkaByzConfig.Quote(Path.GetFullPath(options.CaCertificate))}, " +
                     $"node-certificate = {AkkaByzConfig.Quote(Path.GetFullPath(options.NodeCertificate))} }}");
            if (options.NodeCertificatePassword is { } password) node.Add($"akkabyz-cluster.security.node-certificate-password = {AkkaByzConfig.Quote(password)}");
        }
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
        if (tls)
        {
            // mtls: Akka.Remote is TLS (certificate and validation are given programmatically, see ClusterNode), nothing
            // crosses in JSON, no message is serialized locally (the serializers refuse protocol messages from Akka.Remote),
            // and no node can stop (PoisonPill, Kill) or deploy actors on another.
            config = ConfigurationFactory.ParseString("""
                akka.remote.dot-netty.tcp.enable-ssl = on
                akka.actor.serialize-messages = off
                akka.actor.serializers.json = "AkkaByz.Runtime.Security.RefusingJsonSerializer, AkkaByz.Runtime"
                akka.actor.serializers.akka-misc = "AkkaByz.Runtime.Security.GuardedMiscSerializer, AkkaByz.Runtime"
                akka.actor.serializers.daemon-create = "AkkaByz.Runtime.Security.RefusingDeploymentSerializer, AkkaByz.Runtime"
                """).WithFallback(config);
        }
        else
        {
            CheckLoopback(config, options.Insecure);
        }
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
    /// True when the node runs mode = mtls (<c>akkabyz-cluster.security</c>); then both certificate files must exist.
    /// Addresses become <c>akka.ssl.tcp://</c>. Akka's own <c>enable-ssl</c> switch is not used directly: TLS without
    /// the cluster CA's pinning (e.g. <c>suppress-validation</c>) admits any certificate.
    /// </summary>
    /// <exception cref="SettingsException">A certificate file is missing, or enable-ssl is set by hand.</exception>
    public static bool CheckTls(Config config)
    {
        var security = SecuritySettings.Create(config);
        if (!security.IsSecure)
        {
            if (config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false))
                throw new SettingsException("akka.remote.dot-netty.tcp.enable-ssl: TLS is configured through akkabyz-cluster.security (mode = mtls, or --ca and --cert), " +
                                            "which pins every connection to the cluster's own CA; remove enable-ssl (see docs/cluster.md, Certificates).");
            return false;
        }
        foreach (var (key, path) in new[] { ("ca-certificate", security.CaCertificate), ("node-certificate", security.NodeCertificate) })
            if (!File.Exists(path))
                throw new SettingsException($"{SecuritySettings.Section}.{key}: the file '{path}' does not exist (relative paths are relative to the working directory {Environment.CurrentDirectory}).");
        return true;
    }

    /// <summary>
    /// Without certificates a node may bind only loopback addresses: anyone who reaches a node's ports could join and
    /// claim worker slots. <c>--insecure</c> overrides this (the node then warns at start-up).
    /// </summary>
    /// <exception cref="SettingsException">A non-loopback address without TLS and without --insecure.</exception>
    public static void CheckLoopback(Config config, bool insecure)
    {
        foreach (var key in new[] { "akka.remote.dot-netty.tcp.hostname", "akka.remote.dot-netty.tcp.public-hostname", "akkabyz-transport.tcp.bind-hostname" })
        {
            var host = config.GetString(key, "") ?? "";
            if (host.Length == 0 || IsLoopback(host) || insecure) continue;
            throw new SettingsException($"{key} = {host}: without certificates anyone who reaches this address can join the cluster and take worker slots. " +
                                        "Give the node its certificate (--ca ca.crt --cert NAME.pfx; `akkabyz certs`, docs/cluster.md) or, on a network you trust, --insecure.");
        }
    }

    /// <summary>True for localhost and the loopback addresses.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

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
