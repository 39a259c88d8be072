using Akka.Configuration;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// The <c>akkabyz-cluster</c> section (node behaviour, not the run), the <c>akkabyz-transport</c> section and the
/// frame limit read from the <c>akka.remote</c> section. Validated on start-up; errors name the key.
/// </summary>
/// <param name="CheckpointDirectory">
/// <c>akkabyz-cluster.checkpoint-dir</c>: "" = the run's own folder (<c>OUT/checkpoints.db</c>, or <c>OUT/checkpoints/</c> for files), <c>off</c> = no
/// checkpoints, anything else = that folder (shared storage when the standbys are on other machines).
/// </param>
/// <param name="MinWorkers"><c>akkabyz-cluster.min-workers</c>: fewest workers the start timeout may start with (0 = all m).</param>
/// <param name="WaitReportInterval"><c>akkabyz-cluster.wait-report-interval</c>: how often the "waiting for workers" line repeats.</param>
/// <param name="Resume"><c>akkabyz-cluster.resume</c> (<c>--resume DIR</c>): the interrupted run to continue ("" = start a new run).</param>
/// <param name="CheckpointStore"><c>akkabyz-cluster.checkpoint-store</c>: sqlite (default, <c>checkpoints.db</c> in the checkpoint folder), postgresql, or files.</param>
/// <param name="CheckpointDb"><c>akkabyz-cluster.checkpoint-db</c>: the PostgreSQL connection string, or another SQLite file ("" = the default file).</param>
/// <param name="CheckpointKey"><c>akkabyz-cluster.checkpoint-key</c>: the run's key in a checkpoint database (persistence id <c>akkabyz-checkpoint/KEY</c>).</param>
/// <param name="WorkerName"><c>akkabyz-cluster.worker-name</c> (<c>--name</c>): a worker node's name without certificates ("" = <c>worker@host:port</c>); see <see cref="WorkerNameOf"/>.</param>
public sealed record ClusterNodeSettings(
    string CheckpointDirectory,
    int CheckpointInterval,
    TimeSpan JoinInterval,
    int ProgressEvery,
    long MaximumFrameSize,
    VectorTransportSettings Transport,
    int MinWorkers = 0,
    TimeSpan WaitReportInterval = default,
    string Resume = "",
    Checkpointing.CheckpointStoreKind CheckpointStore = Checkpointing.CheckpointStoreKind.Sqlite,
    string CheckpointDb = "",
    string CheckpointKey = "aggregator",
    string WorkerName = "")
{
    /// <summary>Bytes of a message besides its floats: Akka envelope, actor paths, manifest, our header (generous).</summary>
    public const int FrameOverhead = 4096;

    /// <summary>The <see cref="CheckpointDirectory"/> value that turns checkpoints off.</summary>
    public const string CheckpointsOff = "off";

    public bool CheckpointsEnabled => !CheckpointDirectory.Equals(CheckpointsOff, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the checkpoint folder is the run's own (<c>OUT</c>), not a configured one.</summary>
    public bool CheckpointsInRunFolder => CheckpointDirectory.Length == 0;

    /// <summary>The folder inside a run's output folder where its checkpoint lives by default.</summary>
    public const string RunCheckpointFolder = "checkpoints";

    /// <summary>
    /// checkpoint-store = sqlite takes a file path in checkpoint-db: a connection string there (a PostgreSQL one meant
    /// for checkpoint-store = postgresql) or a path that cannot be one is refused, without echoing the value (it may
    /// hold a password).
    /// </summary>
    private static void CheckSqliteFile(string file)
    {
        if (file.Contains('=', StringComparison.Ordinal) && file.Contains(';', StringComparison.Ordinal))
            throw new SettingsException("akkabyz-cluster.checkpoint-db (--checkpoint-db): looks like a connection string, but checkpoint-store = sqlite takes an SQLite file path; " +
                                        "set checkpoint-store = postgresql (--checkpoint-store postgresql) for a PostgreSQL database.");
        try
        {
            if (file.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || file.Any(char.IsControl)) throw new ArgumentException("invalid characters in the path");
            _ = Path.GetFullPath(file);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new SettingsException($"akkabyz-cluster.checkpoint-db (--checkpoint-db): not a usable SQLite file path ({e.Message}).", e);
        }
        if (file.EndsWith(Path.DirectorySeparatorChar) || file.EndsWith(Path.AltDirectorySeparatorChar) || Directory.Exists(file))
            throw new SettingsException($"akkabyz-cluster.checkpoint-db (--checkpoint-db): \"{file}\" is a folder; give the SQLite file (e.g. {Path.Combine(file, Checkpointing.CheckpointDatabase.SqliteFileName)}) or use checkpoint-dir.");
    }

    /// <exception cref="SettingsException">A key is missing or inconsistent (the message names it).</exception>
    public static ClusterNodeSettings Create(Config config)
    {
        T Read<T>(string key, Func<T> read) => ConfigKey.Read(config, key, _ => read());

        var settings = new ClusterNodeSettings(
            Read("akkabyz-cluster.checkpoint-dir", () => config.GetString("akkabyz-cluster.checkpoint-dir") ?? ""),
            Read("akkabyz-cluster.checkpoint-interval", () => config.GetInt("akkabyz-cluster.checkpoint-interval")),
            Read("akkabyz-cluster.join-interval", () => config.GetTimeSpan("akkabyz-cluster.join-interval", null, false)),
            Read("akkabyz-cluster.progress-every", () => config.GetInt("akkabyz-cluster.progress-every")),
            Read("akka.remote.dot-netty.tcp.maximum-frame-size", () => config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? 0),
            VectorTransportSettings.Create(config),
            Read("akkabyz-cluster.min-workers", () => config.GetInt("akkabyz-cluster.min-workers")),
            Read("akkabyz-cluster.wait-report-interval", () => config.GetTimeSpan("akkabyz-cluster.wait-report-interval", null, false)),
            Read("akkabyz-cluster.resume", () => config.GetString("akkabyz-cluster.resume") ?? ""),
            Read("akkabyz-cluster.checkpoint-store", () => (config.GetString("akkabyz-cluster.checkpoint-store") ?? "sqlite").Trim().ToLowerInvariant() switch
            {
                "sqlite" => Checkpointing.CheckpointStoreKind.Sqlite,
                "postgresql" or "postgres" => Checkpointing.CheckpointStoreKind.PostgreSql,
                "files" => Checkpointing.CheckpointStoreKind.Files,
                var other => throw new SettingsException($"akkabyz-cluster.checkpoint-store = \"{other}\": expected sqlite, postgresql or files."),
            }),
            Read("akkabyz-cluster.checkpoint-db", () => config.GetString("akkabyz-cluster.checkpoint-db") ?? ""),
            Read("akkabyz-cluster.checkpoint-key", () => config.GetString("akkabyz-cluster.checkpoint-key") ?? "aggregator"),
            Read("akkabyz-cluster.worker-name", () => config.GetString("akkabyz-cluster.worker-name") ?? ""));
        if (settings.WorkerName.Length > 0 && !Security.NodeIdentity.IsValidName(settings.WorkerName))
            throw new SettingsException($"akkabyz-cluster.worker-name (--name): \"{settings.WorkerName}\" is not a name: 1 to {Security.NodeIdentity.MaxNameLength} characters " +
                                        "of a-z, 0-9, '.', '_' and '-', starting with a letter or digit (as a certificate's name).");
        if (settings.CheckpointKey.Length is 0 or > 200 || settings.CheckpointKey.Any(char.IsControl))
            throw new SettingsException($"akkabyz-cluster.checkpoint-key: 1 to 200 printable characters, got \"{settings.CheckpointKey}\".");
        if (settings.CheckpointStore == Checkpointing.CheckpointStoreKind.Sqlite && settings.CheckpointDb.Length > 0)
            CheckSqliteFile(settings.CheckpointDb);
        if (settings.CheckpointStore == Checkpointing.CheckpointStoreKind.PostgreSql && settings.CheckpointsEnabled)
            _ = Checkpointing.CheckpointDatabase.PostgreSql(settings.CheckpointDb, settings.CheckpointKey); // a malformed connection string fails here
        if (settings.CheckpointInterval < 1)
            throw new SettingsException($"akkabyz-cluster.checkpoint-interval: must be at least 1 round, got {settings.CheckpointInterval}.");
        if (settings.JoinInterval <= TimeSpan.Zero)
            throw new SettingsException($"akkabyz-cluster.join-interval: must be positive, got {settings.JoinInterval}.");
        if (settings.MinWorkers < 0)
            throw new SettingsException($"akkabyz-cluster.min-workers (--min-workers): must be 0 (all m) or more, got {settings.MinWorkers}.");
        if (settings.WaitReportInterval <= TimeSpan.Zero)
            throw new SettingsException($"akkabyz-cluster.wait-report-interval: must be positive, got {settings.WaitReportInterval}.");
        if (settings.ProgressEvery < 0)
            throw new SettingsException($"akkabyz-cluster.progress-every: must be 0 or more, got {settings.ProgressEvery}.");
        var transport = settings.Transport;
        if (transport.Mode == VectorTransportMode.AkkaChunked && transport.ChunkBytes + FrameOverhead > settings.MaximumFrameSize)
            throw new SettingsException(
                $"akka.remote.dot-netty.tcp.maximum-frame-size = {settings.MaximumFrameSize} bytes cannot carry a chunk: akkabyz-transport.chunked.chunk-size = " +
                $"{transport.ChunkBytes} bytes plus {FrameOverhead} bytes of envelope needs at least {transport.ChunkBytes + FrameOverhead}. " +
                "Raise the frame size (identically on every node) or lower the chunk size.");
        if (transport.Mode != VectorTransportMode.Akka && transport.Threshold + FrameOverhead > settings.MaximumFrameSize)
            throw new SettingsException(
                $"akkabyz-transport.threshold = {transport.Threshold} bytes: vectors just below it still travel as one Akka.Remote message, which needs " +
                $"{transport.Threshold + FrameOverhead} bytes but akka.remote.dot-netty.tcp.maximum-frame-size = {settings.MaximumFrameSize}. Lower the threshold or raise the frame size.");
        return settings;
    }

    /// <summary>
    /// The name a worker node goes by: in its <c>JoinRun</c>, its workers' names, and the persistence ids of the
    /// optimizer states it keeps in its checkpoint database (<c>akkabyz-worker-state/KEY/NAME/slot-I</c>), so a
    /// restarted node finds its states only under the same name. With a certificate (mtls) it is the certificate's
    /// name (<paramref name="certificateName"/>), which the CA vouches for; else <see cref="WorkerName"/> when set (the
    /// operator's promise that it is this node's own and stable), else <c>worker@HOST:PORT</c> — which changes with the
    /// port when the port is 0 (any free one). Always from this node's own configuration, never from a message.
    /// </summary>
    /// <exception cref="SettingsException">A certificate and a different <see cref="WorkerName"/>: which name is meant is unclear.</exception>
    public string WorkerNameOf(string? certificateName, string host, int port)
    {
        if (certificateName is not null)
        {
            if (WorkerName.Length > 0 && WorkerName != certificateName)
                throw new SettingsException($"akkabyz-cluster.worker-name (--name) = \"{WorkerName}\", but this node's certificate names it \"{certificateName}\": " +
                                            "with certificates a worker's name is its certificate's; drop the setting or issue a certificate for that name.");
            return certificateName;
        }
        return WorkerName.Length > 0 ? WorkerName : $"worker@{host}:{port}";
    }

    /// <summary>
    /// Checks at start-up that the configured limits can carry the model's Params/Update (d floats each): below the
    /// vector threshold (or with <c>mode = akka</c>) the whole message must fit one Akka.Remote frame; above it, both
    /// carriers need it within <c>tcp.maximum-message-size</c> on the receiving side (<c>akka-chunked</c> splits it
    /// into frame-sized chunks). Throws a <see cref="SettingsException"/> saying what to change otherwise.
    /// </summary>
    public void CheckVectorFits(int dimension, string model)
    {
        var bytes = 4L * dimension;
        var needed = bytes + FrameOverhead;
        var carried = Transport.Mode != VectorTransportMode.Akka && bytes >= Transport.Threshold;
        if (!carried && needed > MaximumFrameSize)
            throw new SettingsException(
                $"akka.remote.dot-netty.tcp.maximum-frame-size = {MaximumFrameSize} bytes cannot carry the vectors of model '{model}': " +
                $"d = {dimension} floats need {bytes} bytes plus {FrameOverhead} of envelope = {needed} bytes per Params/Update message. " +
                $"Set maximum-frame-size to at least {needed}b on EVERY node (a node with a smaller limit drops the frame and gates the link for 5 s), " +
                "or send vectors through akkabyz-transport (mode = tcp or akka-chunked).");
        if (carried && bytes > Transport.MaximumMessageSize)
            throw new SettingsException(
                $"akkabyz-transport.tcp.maximum-message-size = {Transport.MaximumMessageSize} bytes cannot carry the vectors of model '{model}': " +
                $"d = {dimension} floats need {bytes} bytes. Raise it on EVERY node.");
    }
}
