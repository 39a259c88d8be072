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
        // The run's layers, read as `akkabyz train` reads them (file with includes resolved and rendered: workers receive
        // self-contained text; then the run flags); the same checks and messages.
        var overrides = options.RunOverrides.ToList();
        if (options.Role == NodeRole.Aggregator && options.DataSource is { } data)
            overrides.Add(new("akkabyz.data.source", AkkaByzConfig.Quote(data)));
        var layers = RunConfiguration.Load(options.ConfigFile, overrides).Layers;

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
        config = ApplyDiscovery(config, options);
        return (config, layers);
    }

    /// <summary>The discovery methods (<c>akkabyz-cluster.discovery.method</c>, <c>--discovery</c>).</summary>
    public static readonly IReadOnlyList<string> DiscoveryMethods = ["config", "kubernetes", "seed-nodes"];

    /// <summary>The node's discovery method: <c>config</c>, <c>kubernetes</c> or <c>seed-nodes</c>.</summary>
    public static string DiscoveryMethod(Config config) => config.GetString("akkabyz-cluster.discovery.method", "config") ?? "config";

    /// <summary>
    /// Turns <c>akkabyz-cluster.discovery</c> (and the flags) into Akka.Management's settings: the management endpoint on
    /// this node's own hostname, and for config/kubernetes discovery the cluster bootstrap's contact points and timing.
    /// </summary>
    /// <exception cref="SettingsException">An unknown method, a malformed contact point, or seed nodes with discovery.</exception>
    private static Config ApplyDiscovery(Config config, ClusterNodeOptions options)
    {
        var seedsGiven = config.GetStringList("akka.cluster.seed-nodes").Count > 0;
        string method;
        if (options.Discovery is { } flag)
        {
            if (!DiscoveryMethods.Contains(flag, StringComparer.Ordinal))
                throw new SettingsException($"--discovery: '{flag}' is not one of {string.Join(", ", DiscoveryMethods)}.");
            if (flag != "seed-nodes" && options.SeedNodes.Count > 0)
                throw new SettingsException($"--discovery {flag} and --seed-nodes exclude each other: the cluster is found either through discovery or through seed nodes.");
            method = flag;
        }
        else if (seedsGiven) method = "seed-nodes";
        else
        {
            method = DiscoveryMethod(config);
            if (!DiscoveryMethods.Contains(method, StringComparer.Ordinal))
                throw new SettingsException($"akkabyz-cluster.discovery.method = {method}: not one of {string.Join(", ", DiscoveryMethods)}.");
        }
        if (options.Contacts.Count > 0 && method != "config")
            throw new SettingsException($"--contact: contact points are for --discovery config (this node uses {method}).");
        if (method == "seed-nodes" && !seedsGiven)
            throw new SettingsException("--seed-nodes: none given; every node needs at least one seed node to join through (host:port of an aggregator node, e.g. 127.0.0.1:4053), or use discovery (--discovery config --contact HOST:PORT).");

        var lines = new List<string> { $"akkabyz-cluster.discovery.method = {method}" };
        var managementPort = options.ManagementPort ?? config.GetInt("akka.management.http.port", 8558);
        if (managementPort is < 0 or > 65535) throw new SettingsException($"--management-port: {managementPort} is not a TCP port (0..65535).");
        lines.Add($"akka.management.http.port = {managementPort}");
        // The management endpoint advertises and binds the node's own address, never all interfaces by default.
        var host = config.GetString("akka.management.http.hostname", "") ?? "";
        if (host.Length == 0 || host.StartsWith('<')) host = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1") ?? "127.0.0.1";
        lines.Add($"akka.management.http.hostname = {AkkaByzConfig.Quote(host)}");

        var d = config.GetConfig("akkabyz-cluster.discovery");
        if (method != "seed-nodes")
        {
            var required = d.GetInt("required-contact-points", 1);
            if (required < 1) throw new SettingsException($"akkabyz-cluster.discovery.required-contact-points = {required}: at least 1.");
            var margin = d.GetTimeSpan("stable-margin", TimeSpan.FromSeconds(1));
            var probe = d.GetTimeSpan("probe-interval", TimeSpan.FromMilliseconds(500));
            lines.Add($$"""
                akka.management.cluster.bootstrap {
                  contact-point-discovery {
                    required-contact-point-nr = {{required}}
                    stable-margin = {{(long)margin.TotalMilliseconds}}ms
                  }
                  join-decider.class = "{{DeciderType(options.Role, method).AssemblyQualifiedName!.Split(", Version")[0]}}"
                  contact-point {
                    probe-interval = {{(long)probe.TotalMilliseconds}}ms
                    fallback-port = {{managementPort}}
                  }
                }
                """);
        }
        if (method == "config")
        {
            IReadOnlyList<string> contacts = options.Contacts.Count > 0 ? options.Contacts : d.GetStringList("endpoints").ToList();
            if (contacts.Count == 0)
                throw new SettingsException("--contact: no contact points; config discovery needs the management host:port of at least one aggregator node (e.g. --contact 127.0.0.1:8558).");
            foreach (var c in contacts) _ = ContactPoint(c);
            // Several contact points on one host (localhost clusters) differ only by port: keep them all.
            lines.Add($$"""
                akka.discovery.method = config
                akka.discovery.config.services.akkabyz.endpoints = {{AkkaByzConfig.QuoteList(contacts.Select(c => c.Trim()))}}
                akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port = false
                """);
        }
        else if (method == "kubernetes")
        {
            var k = d.GetConfig("kubernetes");
            var selector = k.GetString("label-selector", "") ?? "";
            if (selector.Length == 0) throw new SettingsException("akkabyz-cluster.discovery.kubernetes.label-selector: empty; it selects the aggregator pods that serve as contact points.");
            var ns = k.GetString("namespace", "") ?? "";
            lines.Add($$"""
                akka.discovery.method = kubernetes-api
                akka.discovery.kubernetes-api.pod-label-selector = {{AkkaByzConfig.Quote(selector)}}
                akka.management.cluster.bootstrap.contact-point-discovery.port-name = {{AkkaByzConfig.Quote(k.GetString("port-name", "management") ?? "management")}}
                akka.management.cluster.bootstrap.contact-point-discovery.contact-with-all-contact-points = true
                """);
            if (ns.Length > 0) lines.Add($"akka.discovery.kubernetes-api.pod-namespace = {AkkaByzConfig.Quote(ns)}");
        }
        config = ConfigurationFactory.ParseString(string.Join("\n", lines)).WithFallback(config);
        // Akka.Discovery.KubernetesApi's own defaults (its `class` among them) are not injected by the extension.
        return method == "kubernetes" ? config.WithFallback(KubernetesReference.Value) : config;
    }

    private static readonly Lazy<Config> KubernetesReference = new(() =>
    {
        var assembly = typeof(Akka.Discovery.KubernetesApi.KubernetesApiServiceDiscovery).Assembly;
        using var stream = assembly.GetManifestResourceStream("Akka.Discovery.KubernetesApi.reference.conf")
            ?? throw new InvalidOperationException("Akka.Discovery.KubernetesApi.reference.conf is not embedded in " + assembly.GetName().Name + ".");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    });

    /// <summary>
    /// Who may form a new cluster: never a worker; with config discovery only the first contact point (as the first seed
    /// node); with Kubernetes the lowest-addressed aggregator pod once required-contact-points of them answered.
    /// </summary>
    private static Type DeciderType(NodeRole role, string method) =>
        role == NodeRole.Worker ? typeof(Management.WorkerJoinDecider)
        : method == "config" ? typeof(Management.FirstContactJoinDecider)
        : typeof(Akka.Management.Cluster.Bootstrap.LowestAddressJoinDecider);

    /// <summary>Checks a contact point <c>host:port</c> (a management endpoint).</summary>
    /// <exception cref="SettingsException">Not host:port.</exception>
    public static (string Host, int Port) ContactPoint(string contact)
    {
        contact = contact.Trim();
        var colon = contact.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(contact[(colon + 1)..], out var port) || port is <= 0 or > 65535)
            throw new SettingsException($"--contact: '{contact}' is not host:port (the management endpoint of an aggregator node, e.g. 127.0.0.1:8558).");
        return (contact[..colon], port);
    }

    /// <summary>The run configuration from its layers, with this node's own data path (if any) on top.</summary>
    /// <remarks>The run's one settings reader, <see cref="RunConfiguration"/>.</remarks>
    public static Config RunConfig(IReadOnlyList<string> layers, string? localDataSource)
    {
        var config = RunConfiguration.FromLayers(layers).Config;
        return localDataSource is null ? config : RunConfiguration.WithDataSource(config, localDataSource);
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
        foreach (var key in new[] { "akka.remote.dot-netty.tcp.hostname", "akka.remote.dot-netty.tcp.public-hostname", "akkabyz-transport.tcp.bind-hostname",
                     "akka.management.http.hostname", "akka.management.http.bind-hostname" })
        {
            var host = config.GetString(key, "") ?? "";
            if (host.Length == 0 || host.StartsWith('<') || IsLoopback(host) || insecure) continue;
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
