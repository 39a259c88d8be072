using Akka.Configuration;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// The <c>akkabyz-cluster</c> section (node behaviour, not the run) plus the transport limits read from the
/// <c>akka.remote</c> section. Validated on start-up; errors name the key.
/// </summary>
public sealed record ClusterNodeSettings(
    string CheckpointDirectory,
    int CheckpointInterval,
    TimeSpan JoinInterval,
    long ChunkBytes,
    int ProgressEvery,
    long MaximumFrameSize)
{
    /// <summary>Bytes of a message besides its floats: Akka envelope, actor paths, manifest, our header (generous).</summary>
    public const int FrameOverhead = 4096;

    public bool CheckpointsEnabled => CheckpointDirectory.Length > 0;

    /// <exception cref="SettingsException">A key is missing or inconsistent (the message names it).</exception>
    public static ClusterNodeSettings Create(Config config)
    {
        T Read<T>(string key, Func<T> read)
        {
            if (!config.HasPath(key)) throw new SettingsException($"{key}: missing.");
            try { return read(); }
            catch (Exception e) when (e is not SettingsException) { throw new SettingsException($"{key}: not valid here ({e.Message.TrimEnd('.')}).", e); }
        }

        var settings = new ClusterNodeSettings(
            Read("akkabyz-cluster.checkpoint-dir", () => config.GetString("akkabyz-cluster.checkpoint-dir") ?? ""),
            Read("akkabyz-cluster.checkpoint-interval", () => config.GetInt("akkabyz-cluster.checkpoint-interval")),
            Read("akkabyz-cluster.join-interval", () => config.GetTimeSpan("akkabyz-cluster.join-interval", null, false)),
            Read("akkabyz-cluster.chunk-size", () => config.GetByteSize("akkabyz-cluster.chunk-size") ?? 0),
            Read("akkabyz-cluster.progress-every", () => config.GetInt("akkabyz-cluster.progress-every")),
            Read("akka.remote.dot-netty.tcp.maximum-frame-size", () => config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? 0));
        if (settings.CheckpointInterval < 1)
            throw new SettingsException($"akkabyz-cluster.checkpoint-interval: must be at least 1 round, got {settings.CheckpointInterval}.");
        if (settings.JoinInterval <= TimeSpan.Zero)
            throw new SettingsException($"akkabyz-cluster.join-interval: must be positive, got {settings.JoinInterval}.");
        if (settings.ProgressEvery < 0)
            throw new SettingsException($"akkabyz-cluster.progress-every: must be 0 or more, got {settings.ProgressEvery}.");
        if (settings.ChunkBytes < 4096)
            throw new SettingsException($"akkabyz-cluster.chunk-size: must be at least 4096 bytes, got {settings.ChunkBytes}.");
        if (settings.ChunkBytes + FrameOverhead > settings.MaximumFrameSize)
            throw new SettingsException(
                $"akka.remote.dot-netty.tcp.maximum-frame-size = {settings.MaximumFrameSize} bytes cannot carry a chunk: akkabyz-cluster.chunk-size = " +
                $"{settings.ChunkBytes} bytes plus {FrameOverhead} bytes of envelope needs at least {settings.ChunkBytes + FrameOverhead}. " +
                "Raise the frame size (identically on every node) or lower the chunk size.");
        return settings;
    }

    /// <summary>
    /// Checks that one protocol message carrying d floats fits in a remote frame (Params and Update carry the whole
    /// vector). Throws a <see cref="SettingsException"/> saying what to raise otherwise.
    /// </summary>
    public void CheckVectorFits(int dimension, string model)
    {
        var needed = 4L * dimension + FrameOverhead;
        if (needed > MaximumFrameSize)
            throw new SettingsException(
                $"akka.remote.dot-netty.tcp.maximum-frame-size = {MaximumFrameSize} bytes cannot carry the vectors of model '{model}': " +
                $"d = {dimension} floats need {4L * dimension} bytes plus {FrameOverhead} of envelope = {needed} bytes per Params/Update message. " +
                $"Set maximum-frame-size to at least {needed}b on EVERY node (a node with a smaller limit drops the frame and gates the link for 5 s).");
    }
}
