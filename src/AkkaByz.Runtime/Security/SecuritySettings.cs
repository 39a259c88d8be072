using Akka.Configuration;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Security;

/// <summary>How a cluster node proves who it is and who it talks to (<c>akkabyz-cluster.security.mode</c>).</summary>
public enum SecurityMode
{
    /// <summary>No proof of identity: any process that reaches a node's ports can join and claim any slot (loopback or <c>--insecure</c> only).</summary>
    Insecure,

    /// <summary>
    /// Mutual TLS pinned to the cluster's own CA on every connection (Akka.Remote and the vector carrier); every
    /// application message travels on the carrier, whose connections carry the peer's certificate identity.
    /// </summary>
    MutualTls,
}

/// <summary>
/// The <c>akkabyz-cluster.security</c> section (defaults in the embedded cluster-reference.conf; hocon/cluster.conf
/// explains each key). Validated on start-up; errors name the key.
/// </summary>
public sealed record SecuritySettings(
    SecurityMode Mode,
    string CaCertificate,
    string NodeCertificate,
    string NodeCertificatePassword,
    TimeSpan HandshakeTimeout,
    int MaxPendingHandshakes,
    int MaxConnectionsPerPeer,
    TimeSpan IdleTimeout,
    long MaxControlMessageBytes,
    TimeSpan LogInterval)
{
    public const string Section = "akkabyz-cluster.security";

    /// <summary>A system without the section (local runs, in-process transport specs).</summary>
    public static SecuritySettings Disabled { get; } = new(SecurityMode.Insecure, "", "", "", TimeSpan.FromSeconds(5), 64, 4, TimeSpan.FromMinutes(5), 1 << 20, TimeSpan.FromMinutes(1));

    public bool IsSecure => Mode == SecurityMode.MutualTls;

    /// <exception cref="SettingsException">A key is missing, malformed or inconsistent (the message names it).</exception>
    public static SecuritySettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.HasPath(Section)) return Disabled;

        T Read<T>(string key, Func<string, T> read) => ConfigKey.Read(config, $"{Section}.{key}", read);

        var modeText = Read("mode", p => config.GetString(p) ?? "");
        var mode = modeText.Trim().ToLowerInvariant() switch
        {
            "mtls" => SecurityMode.MutualTls,
            "insecure" => SecurityMode.Insecure,
            _ => throw new SettingsException($"{Section}.mode: '{modeText}' is not a mode; use mtls (certificates of the cluster CA, see docs/cluster.md) or insecure."),
        };
        var settings = new SecuritySettings(
            mode,
            Read("ca-certificate", p => config.GetString(p) ?? ""),
            Read("node-certificate", p => config.GetString(p) ?? ""),
            Read("node-certificate-password", p => config.GetString(p) ?? ""),
            Read("handshake-timeout", p => config.GetTimeSpan(p, null, false)),
            Read("max-pending-handshakes", p => config.GetInt(p)),
            Read("max-connections-per-peer", p => config.GetInt(p)),
            Read("idle-timeout", p => config.GetTimeSpan(p, null, false)),
            Read("max-control-message-size", p => config.GetByteSize(p) ?? -1),
            Read("log-interval", p => config.GetTimeSpan(p, null, false)));
        if (settings.HandshakeTimeout <= TimeSpan.Zero)
            throw new SettingsException($"{Section}.handshake-timeout: must be positive, got {settings.HandshakeTimeout}.");
        if (settings.MaxPendingHandshakes < 1)
            throw new SettingsException($"{Section}.max-pending-handshakes: must be at least 1, got {settings.MaxPendingHandshakes}.");
        if (settings.MaxConnectionsPerPeer < 1)
            throw new SettingsException($"{Section}.max-connections-per-peer: must be at least 1, got {settings.MaxConnectionsPerPeer}.");
        if (settings.IdleTimeout <= TimeSpan.Zero)
            throw new SettingsException($"{Section}.idle-timeout: must be positive, got {settings.IdleTimeout}.");
        if (settings.MaxControlMessageBytes is < 4096 or > 64 << 20)
            throw new SettingsException($"{Section}.max-control-message-size: must be 4KiB..64MiB, got {settings.MaxControlMessageBytes} bytes.");
        if (settings.LogInterval < TimeSpan.Zero)
            throw new SettingsException($"{Section}.log-interval: must be 0 or more, got {settings.LogInterval}.");
        if (mode == SecurityMode.MutualTls)
        {
            if (settings.CaCertificate.Length == 0)
                throw new SettingsException($"{Section}.ca-certificate: mode = mtls needs the cluster CA's certificate (ca.crt from `akkabyz certs init`; flag --ca).");
            if (settings.NodeCertificate.Length == 0)
                throw new SettingsException($"{Section}.node-certificate: mode = mtls needs this node's certificate (NAME.pfx from `akkabyz certs issue`; flag --cert).");
        }
        return settings;
    }
}
