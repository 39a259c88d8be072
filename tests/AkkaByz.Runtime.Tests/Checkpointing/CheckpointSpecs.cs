using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>A checkpoint resumes exactly what was saved, or is refused with the file's name: never silently something else.</summary>
public sealed class CheckpointSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-ckpt-").FullName;

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            foreach (var d in Directory.EnumerateDirectories(_dir, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(d, (UnixFileMode)0b111_111_101);
        Directory.Delete(_dir, recursive: true);
    }

    private static Checkpoint Sample()
    {
        var server = OptimizerFactory.CreateServer(new OptimizerOptions(), [1f, 2f, 3f, 4f]);
        server.Step([0.5f, -0.5f, 1f, 0.25f]);
        return new Checkpoint(10, 50, server.Query.ToArray(), server.GetState(), ["akkabyz.rounds = 50"], false);
    }

    [Fact]
    public void One_flipped_bit_in_the_stored_optimizer_state_is_refused_naming_the_file()
    {
        var store = new CheckpointStore(_dir);
        var saved = Sample();
        store.Save(saved);
        Assert.Equal(saved.Server, store.TryLoad()!.Server);

        var bytes = File.ReadAllBytes(store.FilePath);
        bytes[^40] ^= 0x04; // inside the optimizer state (the last 32 bytes are the digest)
        File.WriteAllBytes(store.FilePath, bytes);

        var e = Assert.Throws<InvalidDataException>(() => store.TryLoad());
        Assert.Contains(store.FilePath, e.Message);
        Assert.Contains("corrupt checkpoint", e.Message);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("appended")]
    [InlineData("version")]
    public void A_truncated_extended_or_unverifiable_checkpoint_is_refused(string damage)
    {
        var store = new CheckpointStore(_dir);
        store.Save(Sample());
        var bytes = File.ReadAllBytes(store.FilePath);
        bytes = damage switch
        {
            "truncated" => bytes[..^7],
            "appended" => [.. bytes, 0],
            _ => [.. bytes[..4], 1, .. bytes[5..]], // claims version 1, which had no checksum
        };
        File.WriteAllBytes(store.FilePath, bytes);
        Assert.Contains(store.FilePath, Assert.Throws<InvalidDataException>(() => store.TryLoad()).Message);
    }

    [Fact]
    public void An_unusable_checkpoint_folder_fails_when_checked_at_start_naming_it()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "");
        var under = new CheckpointStore(Path.Combine(file, "checkpoints")); // a folder cannot be made under a file
        var e = Assert.Throws<SettingsException>(under.EnsureWritable);
        Assert.Contains("akkabyz-cluster.checkpoint-dir", e.Message);
        Assert.Contains(under.Directory, e.Message);

        var fine = new CheckpointStore(Path.Combine(_dir, "new", "checkpoints"));
        fine.EnsureWritable();
        Assert.Empty(Directory.GetFileSystemEntries(fine.Directory)); // the probe is removed

        // An existing folder this process may not write into. Root writes through file modes, so as root (CI) the folder
        // is /sys: sysfs refuses new files to everyone, root included.
        if (OperatingSystem.IsWindows()) return;
        string readOnly;
        if (Environment.UserName != "root")
        {
            readOnly = Path.Combine(_dir, "read-only");
            Directory.CreateDirectory(readOnly);
            File.SetUnixFileMode(readOnly, (UnixFileMode)0b101_101_101);
        }
        else
        {
            readOnly = "/sys";
            Assert.True(Directory.Exists(readOnly), "/sys is missing: no folder root cannot write into");
        }
        var refused = Assert.Throws<SettingsException>(new CheckpointStore(readOnly).EnsureWritable);
        Assert.Contains($"'{readOnly}' is not writable", refused.Message);
    }

    [Fact]
    public void Sections_round_trip_an_unknown_one_is_kept_and_a_version_2_file_is_still_read()
    {
        var store = new CheckpointStore(_dir);
        var saved = Sample() with
        {
            Run = new CheckpointRun("run-1", "akka.tcp://akkabyz@127.0.0.1:4053#42", "/tmp/out", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc),
                [new Participant(0, "worker:w0", "akka.tcp://akkabyz@127.0.0.1:5000"), new Participant(2, "", "akka.tcp://akkabyz@127.0.0.1:5002")]),
            Counters = new RunCounters(30, 8, new Dictionary<string, long> { ["late"] = 2, ["stale"] = 1 }, 1.5),
            SlotIdentities = [(0, "w0"), (2, "worker:w2")],
            Sections = new Dictionary<string, byte[]> { ["aggregator"] = [1, 2, 3] },
        };
        store.Save(saved);
        var back = store.TryLoad()!;
        Assert.Equal(saved.Run!.RunId, back.Run!.RunId);
        Assert.Equal(saved.Run.WriterNode, back.Run.WriterNode);
        Assert.Equal(saved.Run.OutputDirectory, back.Run.OutputDirectory);
        Assert.Equal(saved.Run.WrittenUtc, back.Run.WrittenUtc);
        Assert.Equal(saved.Run.Participants, back.Run.Participants);
        Assert.Equal((30L, 8L, 1.5, 3L), (back.Counters!.Accepted, back.Counters.Suspects, back.Counters.TrainingSeconds, back.Counters.RejectedTotal));
        Assert.Equal(2, back.Counters.Rejected["late"]);
        Assert.Equal(saved.SlotIdentities, back.SlotIdentities);
        Assert.False(back.Sections.ContainsKey(Checkpoint.SlotIdentitiesSection)); // read, not kept as bytes
        // A slot named twice is refused, naming the section's entry.
        using (var twice = new MemoryStream())
        {
            (Sample() with { SlotIdentities = [(1, "w1"), (1, "w2")] }).Write(twice);
            Assert.StartsWith("malformed checkpoint: slot identity 1 (slot 1", Assert.Throws<InvalidDataException>(() => Checkpoint.Read(new MemoryStream(twice.ToArray()))).Message);
        }
        Assert.Equal([1, 2, 3], back.Sections["aggregator"]); // a section this reader does not know survives a rewrite
        store.Save(back);
        Assert.Equal([1, 2, 3], store.TryLoad()!.Sections["aggregator"]);

        // Version 2: the same layout without sections (and the digest over it).
        store.Save(Sample());
        var v3 = File.ReadAllBytes(store.FilePath);
        var body = v3[..^36]; // drop the digest and the section count (0)
        body[4] = 2;
        File.WriteAllBytes(store.FilePath, [.. body, .. System.Security.Cryptography.SHA256.HashData(body)]);
        var old = store.TryLoad()!;
        Assert.Equal(Sample().Server, old.Server);
        Assert.Null(old.Run);
        Assert.Null(old.Counters);
        Assert.Null(old.SlotIdentities);
    }

    [Fact]
    public void The_bytes_of_a_checkpoint_and_of_a_worker_state_snapshot_stay_as_they_were_written()
    {
        // Files written by earlier builds must still read: the frames' exact bytes are pinned (SHA-256 of each).
        var checkpoint = Sample() with
        {
            AggregatorState = [9, 8, 7],
            Run = new CheckpointRun("run-1", "akka.tcp://akkabyz@127.0.0.1:4053#42", "/tmp/out", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc),
                [new Participant(0, "worker:w0", "akka.tcp://akkabyz@127.0.0.1:5000")]),
            Counters = new RunCounters(30, 8, new Dictionary<string, long> { ["late"] = 2 }, 1.5),
            Sections = new Dictionary<string, byte[]> { ["zeta"] = [1, 2, 3] },
        };
        using var ms = new MemoryStream();
        checkpoint.Write(ms);
        Assert.Equal("ec8b90842b5015d53d0bca9d00ffee7ff0ab5c4795e16872cc7a006246a2877e", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ms.ToArray())));
        ms.Position = 0;
        Assert.Equal(ms.ToArray(), Bytes(Checkpoint.Read(ms)));

        var snapshot = new WorkerStateSnapshot(WorkerStateSnapshot.IdentityOf(["akkabyz.rounds = 50"]), "worker-a", 2, 40, Sample().Server);
        Assert.Equal("62e22dfe6f8f9840ad9b27edf70c390303ec0b2210b5e08b8f024c28b95e8c2a", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(snapshot.ToBytes())));
        Assert.Equal(snapshot.ToBytes(), WorkerStateSnapshot.Read(snapshot.ToBytes()).ToBytes());

        // One frame, and each kind named in its refusals.
        static string Refusal(byte[] b) => Assert.Throws<InvalidDataException>(() => Checkpoint.Read(new MemoryStream(b))).Message;
        var bytes = ms.ToArray();
        Assert.StartsWith("unsupported checkpoint version 1 (expected 2 or 3): version 1 had no checksum", Refusal([.. bytes[..4], 1, .. bytes[5..]]));
        Assert.StartsWith("corrupt checkpoint: the SHA-256 of its", Refusal([.. bytes, 0]));
        Assert.Equal("truncated checkpoint.", Refusal(bytes[..20]));
        Assert.Equal("not an AkkaByz checkpoint (bad magic; expected 'ABCK').", Refusal(snapshot.ToBytes()));
        var state = snapshot.ToBytes();
        Assert.Equal("unsupported worker state snapshot version 2 (expected 1).",
            Assert.Throws<InvalidDataException>(() => WorkerStateSnapshot.Read([.. state[..4], 2, .. state[5..]])).Message);
        Assert.Equal("not an AkkaByz worker state snapshot (bad magic; expected 'ABWS').", Assert.Throws<InvalidDataException>(() => WorkerStateSnapshot.Read(bytes)).Message);

        static byte[] Bytes(Checkpoint c)
        {
            using var o = new MemoryStream();
            c.Write(o);
            return o.ToArray();
        }
    }
}
