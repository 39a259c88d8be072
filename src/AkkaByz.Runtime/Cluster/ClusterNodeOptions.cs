namespace AkkaByz.Runtime.Cluster;

/// <summary>What <c>akkabyz node</c> was asked to do (flags); everything else comes from the HOCON layers.</summary>
public sealed record ClusterNodeOptions
{
    public required NodeRole Role { get; init; }

    /// <summary>HOCON file layered over the references (akka.* for the node, akkabyz.* for the run, akkabyz-cluster.*).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Remoting port (null = the config's, default 0 = any free port).</summary>
    public int? Port { get; init; }

    /// <summary>Address this node binds to and advertises (null = the config's, default 127.0.0.1).</summary>
    public string? Hostname { get; init; }

    /// <summary>Seed nodes as <c>host:port</c> or full <c>akka.tcp://akkabyz@host:port</c> addresses (empty = the config's).</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>
    /// How the node finds the cluster (<c>--discovery</c>): <c>config</c>, <c>kubernetes</c> or <c>seed-nodes</c>
    /// (null = <c>seed-nodes</c> when <see cref="SeedNodes"/> are given, else <c>akkabyz-cluster.discovery.method</c>).
    /// </summary>
    public string? Discovery { get; init; }

    /// <summary>Contact points for config discovery as <c>host:port</c> of their management endpoint (<c>--contact</c>; empty = the config's).</summary>
    public IReadOnlyList<string> Contacts { get; init; } = [];

    /// <summary>Port of the management HTTP endpoint (bootstrap, /alive, /ready; null = the config's, default 8558; 0 = any free port).</summary>
    public int? ManagementPort { get; init; }

    /// <summary>
    /// This node's data source (<c>akkabyz.data.source</c> syntax). On the aggregator it becomes part of the run's
    /// config; on a worker it overrides only where this node reads the data from.
    /// </summary>
    public string? DataSource { get; init; }

    /// <summary>Run settings from flags (HOCON path → rendered value), layered last (aggregator only).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RunOverrides { get; init; } = [];

    /// <summary>Extra node-level HOCON (tests: fast failure detection), layered over the file.</summary>
    public string? ExtraHocon { get; init; }

    /// <summary>The cluster CA's certificate (<c>--ca</c>); with <see cref="NodeCertificate"/> it turns on mode = mtls.</summary>
    public string? CaCertificate { get; init; }

    /// <summary>This node's certificate and key, a PKCS#12 file from <c>akkabyz certs issue</c> (<c>--cert</c>).</summary>
    public string? NodeCertificate { get; init; }

    /// <summary>The PKCS#12 file's password, if it has one (<c>--cert-password</c>).</summary>
    public string? NodeCertificatePassword { get; init; }

    /// <summary><c>--insecure</c>: allow binding a non-loopback address without certificates (loudly).</summary>
    public bool Insecure { get; init; }

    /// <summary><c>--log-level</c>: trace, debug, info, warning (default), error or off; Akka's log included.</summary>
    public string? LogLevel { get; init; }

    /// <summary><c>--raw-log</c>: Akka's own log lines (its StandardOutLogger) instead of the readable format.</summary>
    public bool RawLog { get; init; }

    /// <summary>Where progress lines go (null = nowhere).</summary>
    public TextWriter? Output { get; init; }
}
