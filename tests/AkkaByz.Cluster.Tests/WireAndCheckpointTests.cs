using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Chunked;

namespace AkkaByz.Cluster.Tests;

/// <summary>In-process checks of the cluster pieces that need no second process: wire format, checkpoints, start-up checks.</summary>
[Collection("cluster processes")]
public sealed class WireAndCheckpointTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire",
        ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(ClusterConfig.Reference).WithFallback(AkkaByzConfig.Reference));

    public void Dispose() => _system.Dispose();

    private T RoundTrip<T>(T message) where T : class
    {
        var serializer = (Akka.Serialization.SerializerWithStringManifest)_system.Serialization.FindSerializerFor(message);
        return (T)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }

    [Fact]
    public void Cluster_messages_round_trip_through_the_binary_serializer()
    {
        var assignment = RoundTrip(new RunAssignment("abc", 2, ["akkabyz.rounds = 5", "akkabyz.seed = 3 # é"], 330));
        Assert.Equal(("abc", 2, 330), (assignment.Incarnation, assignment.WorkerIndex, assignment.Dimension));
        Assert.Equal(["akkabyz.rounds = 5", "akkabyz.seed = 3 # é"], assignment.ConfigLayers);
        Assert.Equal(new JoinRun("w", -1, ""), RoundTrip(new JoinRun("w", -1, "")));
        Assert.Equal(new RunFinished(false, "quorum"), RoundTrip(new RunFinished(false, "quorum")));
        var chunk = RoundTrip(new VectorChunk(7, 1, new float[] { 1f, float.NaN, -0f }, null));
        Assert.Equal((7L, 1, (VectorTransferEnvelope?)null), (chunk.TransferId, chunk.Index, chunk.Envelope));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(chunk.Part.Span[2]));
        Assert.True(float.IsNaN(chunk.Part.Span[1]));
    }

    [Fact]
    public void A_truncated_cluster_message_is_refused_with_a_serialization_error()
    {
        var serializer = new ClusterProtocolSerializer((ExtendedActorSystem)_system);
        var bytes = serializer.ToBinary(new RunAssignment("abc", 2, ["x"], 330));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes[..^2], "ca"));
    }

    [Fact]
    public void A_checkpoint_is_restored_exactly_and_a_rewrite_replaces_it_atomically()
    {
        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-ckpt-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var store = new CheckpointStore(dir);
            Assert.Null(store.TryLoad());
            var server = OptimizerFactory.CreateServer(new OptimizerOptions(), [1f, 2f, 3f]);
            server.Step([0.5f, -0.5f, 1f]);
            store.Save(new Checkpoint(10, 50, server.Query.ToArray(), server.GetState(), ["a = 1"], false));
            store.Save(new Checkpoint(20, 50, [9f, 8f, 7f], server.GetState(), ["a = 2"], true));
            var back = store.TryLoad()!;
            Assert.Equal((20L, 50L, true), (back.Round, back.TotalRounds, back.Completed));
            Assert.Equal([9f, 8f, 7f], back.X);
            Assert.Equal(["a = 2"], back.ConfigLayers);
            Assert.Equal(server.GetState(), back.Server);
            Assert.Equal([CheckpointStore.FileName], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temp files left
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_frame_too_small_for_the_models_vectors_is_refused_at_start_up_naming_the_sizes()
    {
        // mode = akka: the whole vector must fit one frame.
        var akka = ClusterNodeSettings.Create(ConfigurationFactory.ParseString("akkabyz-transport.mode = akka").WithFallback(ClusterConfig.Reference));
        akka.CheckVectorFits(1_000_000, "big"); // 4 MB fits 16 MiB
        var e = Assert.Throws<SettingsException>(() => akka.CheckVectorFits(5_000_000, "huge"));
        Assert.Contains("maximum-frame-size = 16777216", e.Message, StringComparison.Ordinal);
        Assert.Contains("20004096", e.Message, StringComparison.Ordinal);

        // mode = tcp (the default): above the threshold only the receiver's maximum-message-size bounds a vector.
        var tcp = ClusterNodeSettings.Create(ClusterConfig.Reference);
        Assert.Equal(VectorTransportMode.Tcp, tcp.Transport.Mode);
        tcp.CheckVectorFits(5_000_000, "huge");
        var capped = ClusterNodeSettings.Create(ConfigurationFactory.ParseString("akkabyz-transport.tcp.maximum-message-size = 8MiB").WithFallback(ClusterConfig.Reference));
        Assert.Contains("maximum-message-size = 8388608", Assert.Throws<SettingsException>(() => capped.CheckVectorFits(5_000_000, "huge")).Message, StringComparison.Ordinal);

        // The threshold must leave room in a frame for the messages just below it; chunks must fit a frame.
        var small = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.maximum-frame-size = 200000b").WithFallback(ClusterConfig.Reference);
        Assert.Contains("akkabyz-transport.threshold", Assert.Throws<SettingsException>(() => ClusterNodeSettings.Create(small)).Message, StringComparison.Ordinal);
        var chunked = ConfigurationFactory.ParseString("akkabyz-transport { mode = akka-chunked, threshold = 64KiB }\nakka.remote.dot-netty.tcp.maximum-frame-size = 1000000b")
            .WithFallback(ClusterConfig.Reference);
        Assert.Contains("chunk-size", Assert.Throws<SettingsException>(() => ClusterNodeSettings.Create(chunked)).Message, StringComparison.Ordinal);
        var typo = ConfigurationFactory.ParseString("akkabyz-transport.mode = udp").WithFallback(ClusterConfig.Reference);
        Assert.Contains("akkabyz-transport.mode: 'udp'", Assert.Throws<SettingsException>(() => ClusterNodeSettings.Create(typo)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed_nodes_are_completed_to_akka_addresses_with_the_tls_scheme_when_tls_is_on()
    {
        Assert.Equal("akka.tcp://akkabyz@10.0.0.5:4053", ClusterConfig.SeedAddress("10.0.0.5:4053"));
        Assert.Equal("akka.ssl.tcp://akkabyz@h:1", ClusterConfig.SeedAddress("h:1", tls: true));
        Assert.Throws<SettingsException>(() => ClusterConfig.SeedAddress("no-port"));
        var missing = ConfigurationFactory.ParseString("""akkabyz-cluster.security { mode = mtls, ca-certificate = "/nonexistent.crt", node-certificate = "/nonexistent.pfx" }""")
            .WithFallback(ClusterConfig.Reference);
        Assert.Contains("/nonexistent.crt", Assert.Throws<SettingsException>(() => ClusterConfig.CheckTls(missing)).Message, StringComparison.Ordinal);
        // Akka's own switch (with suppress-validation any certificate would pass) is refused: TLS means the cluster CA.
        var handMade = ConfigurationFactory.ParseString("""akka.remote.dot-netty.tcp { enable-ssl = on, ssl.suppress-validation = on }""").WithFallback(ClusterConfig.Reference);
        Assert.Contains("akkabyz-cluster.security", Assert.Throws<SettingsException>(() => ClusterConfig.CheckTls(handMade)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_on_a_port_another_process_listens_on_fails_at_once_with_a_clear_error()
    {
        // Akka binds with SO_REUSEPORT on Linux: without the check a second aggregator shared the port with the first.
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Server.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var e = await Assert.ThrowsAsync<SettingsException>(() => ClusterNode.RunAsync(new ClusterNodeOptions
        {
            Role = NodeRole.Aggregator, Port = port, SeedNodes = [$"127.0.0.1:{port}"],
        }));
        Assert.Contains($"--port {port}: another process is already listening", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_aggregator_whose_checkpoint_database_is_unreachable_or_misnamed_is_refused_before_it_joins()
    {
        // Nothing listens on port 1: the probe at start names the database (never the password); the CLI exits 2.
        var e = await Assert.ThrowsAsync<SettingsException>(() => ClusterNode.RunAsync(new ClusterNodeOptions
        {
            Role = NodeRole.Aggregator, Discovery = "seed-nodes", SeedNodes = ["127.0.0.1:1"],
            ExtraHocon = "akkabyz-cluster { checkpoint-store = postgresql, checkpoint-db = \"Host=127.0.0.1;Port=1;Database=ck;Username=u;Password=hush;Timeout=3\" }",
        }));
        Assert.Contains("postgresql://127.0.0.1:1/ck", e.Message, StringComparison.Ordinal);
        Assert.Contains("cannot use the checkpoint database", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hush", e.Message, StringComparison.Ordinal);
        var typo = Assert.Throws<SettingsException>(() => ClusterNodeSettings.Create(ConfigurationFactory.ParseString("akkabyz-cluster.checkpoint-store = mysql").WithFallback(ClusterConfig.Reference)));
        Assert.Contains("akkabyz-cluster.checkpoint-store", typo.Message, StringComparison.Ordinal);
        var noDb = Assert.Throws<SettingsException>(() => ClusterNodeSettings.Create(ConfigurationFactory.ParseString("akkabyz-cluster.checkpoint-store = postgresql").WithFallback(ClusterConfig.Reference)));
        Assert.Contains("akkabyz-cluster.checkpoint-db", noDb.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_without_seed_nodes_is_refused_before_it_starts()
    {
        var e = await Assert.ThrowsAsync<SettingsException>(() => ClusterNode.RunAsync(new ClusterNodeOptions { Role = NodeRole.Worker, Discovery = "seed-nodes" }));
        Assert.Contains("--seed-nodes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_discovery_becomes_akka_management_bootstrap_over_the_given_contact_points()
    {
        var (config, _) = ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Worker, Contacts = ["127.0.0.1:8558", "127.0.0.1:8559"], ManagementPort = 9001 });
        Assert.Equal("config", ClusterConfig.DiscoveryMethod(config));
        Assert.Equal("config", config.GetString("akka.discovery.method"));
        Assert.Equal(["127.0.0.1:8558", "127.0.0.1:8559"], config.GetStringList("akka.discovery.config.services.akkabyz.endpoints"));
        // Two contact points on one host differ only by port: the bootstrap must not filter one of them away.
        Assert.False(config.GetBoolean("akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
        Assert.Equal(9001, config.GetInt("akka.management.http.port"));
        Assert.Equal("127.0.0.1", config.GetString("akka.management.http.hostname")); // the node's own address, not every interface
        Assert.Contains("WorkerJoinDecider", config.GetString("akka.management.cluster.bootstrap.join-decider.class"), StringComparison.Ordinal);
        Assert.Empty(config.GetStringList("akka.cluster.seed-nodes"));
        var (aggregator, _) = ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Aggregator });
        Assert.Equal(["127.0.0.1:8558"], aggregator.GetStringList("akka.discovery.config.services.akkabyz.endpoints")); // the embedded default
        Assert.Contains("FirstContactJoinDecider", aggregator.GetString("akka.management.cluster.bootstrap.join-decider.class"), StringComparison.Ordinal);
        Assert.Equal(1, aggregator.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));

        var (k8s, _) = ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Worker, Discovery = "kubernetes" });
        Assert.Equal("kubernetes-api", k8s.GetString("akka.discovery.method"));
        Assert.Equal("app.kubernetes.io/name=akkabyz,app.kubernetes.io/component=aggregator", k8s.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.Equal("management", k8s.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
        var (k8sAggregator, _) = ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Aggregator, Discovery = "kubernetes" });
        Assert.Contains("LowestAddressJoinDecider", k8sAggregator.GetString("akka.management.cluster.bootstrap.join-decider.class"), StringComparison.Ordinal);

        Assert.Contains("--contact", Assert.Throws<SettingsException>(() => ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Worker, Contacts = ["no-port"] })).Message, StringComparison.Ordinal);
        Assert.Contains("exclude each other", Assert.Throws<SettingsException>(() => ClusterConfig.Build(
            new ClusterNodeOptions { Role = NodeRole.Worker, Discovery = "config", SeedNodes = ["127.0.0.1:4053"] })).Message, StringComparison.Ordinal);
        Assert.Contains("--management-port", Assert.Throws<SettingsException>(() => ClusterConfig.Build(
            new ClusterNodeOptions { Role = NodeRole.Worker, ManagementPort = 70000 })).Message, StringComparison.Ordinal);
        // Seed nodes keep working (no bootstrap then).
        var (seeded, _) = ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Worker, SeedNodes = ["127.0.0.1:4053"] });
        Assert.Equal("seed-nodes", ClusterConfig.DiscoveryMethod(seeded));
    }

    [Fact]
    public void Without_certificates_a_node_refuses_a_non_loopback_address_unless_insecure()
    {
        var options = new ClusterNodeOptions { Role = NodeRole.Worker, Hostname = "10.1.2.3", SeedNodes = ["10.1.2.3:4053"] };
        var e = Assert.Throws<SettingsException>(() => ClusterConfig.Build(options));
        Assert.Contains("--insecure", e.Message, StringComparison.Ordinal);
        Assert.Contains("--ca", e.Message, StringComparison.Ordinal);
        _ = ClusterConfig.Build(options with { Insecure = true });
        _ = ClusterConfig.Build(options with { Hostname = "127.0.0.1" });
        Assert.Contains("--ca and --cert go together", Assert.Throws<SettingsException>(() => ClusterConfig.Build(options with { CaCertificate = "ca.crt" })).Message, StringComparison.Ordinal);
    }
}
