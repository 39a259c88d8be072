using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Checkpointing;

/// <summary>
/// One checkpoint file, <c>DIR/aggregator.ckpt</c>, replaced atomically: the new state is written to a temporary
/// file in the same directory, flushed to disk, then renamed over the old one (<see cref="File.Move(string,string,bool)"/>
/// with overwrite, an atomic rename(2) on the same file system). A reader therefore sees the previous or the new
/// checkpoint, never a torn one, even if the aggregator is killed mid-write. For a standby aggregator on another
/// machine, DIR must be shared storage (NFS, a mounted volume); <c>akkabyz-cluster.checkpoint-store = postgresql</c>
/// needs none (<see cref="SnapshotCheckpointStore"/>). Kept as <c>checkpoint-store = files</c> and for the runs written
/// before the snapshot stores.
/// </summary>
public sealed class CheckpointStore : ICheckpointStore
{
    public const string FileName = "aggregator.ckpt";

    public CheckpointStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        FilePath = System.IO.Path.Combine(Directory, FileName);
    }

    public string Directory { get; }

    /// <summary>The checkpoint file's full path.</summary>
    public string FilePath { get; }

    public string Location => FilePath;

    public Task SaveAsync(Checkpoint checkpoint)
    {
        Save(checkpoint);
        return Task.CompletedTask;
    }

    public Task<Checkpoint?> LoadAsync() => Task.FromResult(TryLoad());

    public Task ClearAsync()
    {
        if (File.Exists(FilePath)) File.Delete(FilePath);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Creates the folder and proves a file can be created, written and removed in it. Call it when the node starts,
    /// before it joins or trains, so a read-only or unusable checkpoint folder fails then — not as an error at every
    /// checkpoint of a run that ends with none.
    /// </summary>
    /// <exception cref="SettingsException">The folder cannot be created or written; the message names it.</exception>
    public void EnsureWritable()
    {
        var probe = System.IO.Path.Combine(Directory, $".write-test.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.WriteByte(0);
                stream.Flush(flushToDisk: true);
            }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"akkabyz-cluster.checkpoint-dir (--checkpoint-dir): '{Directory}' is not writable: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="checkpoint"/> atomically (temp file + rename).</summary>
    public void Save(Checkpoint checkpoint)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temp = System.IO.Path.Combine(Directory, $".{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                checkpoint.Write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, FilePath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The last checkpoint, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid checkpoint or is corrupt (the message names it).</exception>
    public Checkpoint? TryLoad()
    {
        if (!File.Exists(FilePath)) return null;
        try
        {
            using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Checkpoint.Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"checkpoint '{FilePath}': {e.Message}", e);
        }
    }
}
