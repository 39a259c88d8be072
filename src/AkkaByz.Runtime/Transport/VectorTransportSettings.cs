using Akka.Configuration;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Transport;

/// <summary>
/// The <c>akkabyz-transport</c> section: how Params/Update vectors travel between nodes. Defaults are embedded in
/// cluster-reference.conf (hocon/cluster.conf explains each); a system without the section (local mode) uses
/// <see cref="VectorTransportMode.Akka"/>, where nothing changes. Validated on start-up; errors name the key.
/// </summary>
public sealed record VectorTransportSettings(
    VectorTransportMode Mode,
    long Threshold,
    int TcpPort,
    string TcpBindHostname,
    long MaximumMessageSize,
    TimeSpan ConnectTimeout,
    int SocketBufferSize,
    int QueueSize,
    int MaxConnections,
    TimeSpan FrameTimeout,
    long ReceivePoolBytes,
    int ChunkBytes,
    int Window,
    TimeSpan ChunkTimeout)
{
    public const string Section = "akkabyz-transport";

    /// <summary>Local mode: every message is a plain Tell.</summary>
    public static VectorTransportSettings Disabled { get; } = new(VectorTransportMode.Akka, long.MaxValue, 0, "", 1L << 30, TimeSpan.FromSeconds(5), 4 << 20, 256, 256, TimeSpan.FromSeconds(30), 0, 4 << 20, 4, TimeSpan.FromSeconds(10));

    /// <summary>The mode named in the configuration (<c>tcp</c>, <c>akka-chunked</c>, <c>akka</c>).</summary>
    public static string ModeName(VectorTransportMode mode) => mode switch
    {
        VectorTransportMode.Tcp => "tcp",
        VectorTransportMode.AkkaChunked => "akka-chunked",
        _ => "akka",
    };

    /// <exception cref="SettingsException">A key is missing, malformed or out of range (the message names it).</exception>
    public static VectorTransportSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.HasPath(Section)) return Disabled;

        T Read<T>(string key, Func<string, T> read) => ConfigKey.Read(config, $"{Section}.{key}", read);

        var modeText = Read("mode", p => config.GetString(p) ?? "");
        var mode = modeText.Trim().ToLowerInvariant() switch
        {
            "tcp" => VectorTransportMode.Tcp,
            "akka-chunked" => VectorTransportMode.AkkaChunked,
            "akka" => VectorTransportMode.Akka,
            _ => throw new SettingsException($"{Section}.mode: '{modeText}' is not a mode; use tcp (a dedicated socket, fastest), akka-chunked (ack-paced chunks over Akka.Remote) or akka (one remote message per vector)."),
        };
        var settings = new VectorTransportSettings(
            mode,
            Read("threshold", p => config.GetByteSize(p) ?? -1),
            Read("tcp.port", p => config.GetInt(p)),
            Read("tcp.bind-hostname", p => config.GetString(p) ?? ""),
            Read("tcp.maximum-message-size", p => config.GetByteSize(p) ?? -1),
            Read("tcp.connect-timeout", p => config.GetTimeSpan(p, null, false)),
            Read("tcp.socket-buffer-size", p => checked((int)(config.GetByteSize(p) ?? -1))),
            Read("tcp.queue-size", p => config.GetInt(p)),
            Read("tcp.max-connections", p => config.GetInt(p)),
            Read("tcp.frame-timeout", p => config.GetTimeSpan(p, null, false)),
            Read("receive-pool-size", p => config.GetByteSize(p) ?? -1),
            Read("chunked.chunk-size", p => checked((int)(config.GetByteSize(p) ?? -1))),
            Read("chunked.window", p => config.GetInt(p)),
            Read("chunked.timeout", p => config.GetTimeSpan(p, null, false)));

        if (settings.Threshold < 0)
            throw new SettingsException($"{Section}.threshold: must be 0 bytes or more, got {settings.Threshold}.");
        if (settings.TcpPort is < 0 or > 65535)
            throw new SettingsException($"{Section}.tcp.port: {settings.TcpPort} is not a TCP port (0 = any free port).");
        if (settings.MaximumMessageSize < 1 << 20)
            throw new SettingsException($"{Section}.tcp.maximum-message-size: must be at least 1MiB, got {settings.MaximumMessageSize} bytes.");
        if (settings.MaximumMessageSize > 4L * Array.MaxLength)
            throw new SettingsException($"{Section}.tcp.maximum-message-size: at most {4L * Array.MaxLength} bytes (the largest float array .NET allocates), got {settings.MaximumMessageSize}.");
        if (settings.ConnectTimeout <= TimeSpan.Zero)
            throw new SettingsException($"{Section}.tcp.connect-timeout: must be positive, got {settings.ConnectTimeout}.");
        if (settings.SocketBufferSize < 64 << 10)
            throw new SettingsException($"{Section}.tcp.socket-buffer-size: must be at least 64KiB, got {settings.SocketBufferSize} bytes.");
        if (settings.QueueSize < 1)
            throw new SettingsException($"{Section}.tcp.queue-size: must be at least 1 message, got {settings.QueueSize}.");
        if (settings.MaxConnections < 1)
            throw new SettingsException($"{Section}.tcp.max-connections: must be at least 1, got {settings.MaxConnections}.");
        if (settings.FrameTimeout <= TimeSpan.Zero)
            throw new SettingsException($"{Section}.tcp.frame-timeout: must be positive, got {settings.FrameTimeout}.");
        if (settings.ReceivePoolBytes < 0)
            throw new SettingsException($"{Section}.receive-pool-size: must be 0 bytes (no pooling) or more, got {settings.ReceivePoolBytes}.");
        if (settings.ChunkBytes < 4096)
            throw new SettingsException($"{Section}.chunked.chunk-size: must be at least 4096 bytes, got {settings.ChunkBytes}.");
        if (settings.Window < 1)
            throw new SettingsException($"{Section}.chunked.window: must be at least 1 chunk in flight, got {settings.Window}.");
        if (settings.ChunkTimeout <= TimeSpan.Zero)
            throw new SettingsException($"{Section}.chunked.timeout: must be positive, got {settings.ChunkTimeout}.");
        return settings;
    }
}
