using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Runs one cluster node until the run is over: an actor system named <see cref="ClusterConfig.SystemName"/> with the
/// cluster provider, joined through the seed nodes. Aggregator nodes run a ClusterSingletonManager for the
/// <see cref="AggregatorCoordinator"/> (only the oldest aggregator node hosts it; the others are standbys that take
/// over when it leaves or is downed); worker nodes run a ClusterSingletonProxy to it and a
/// <see cref="WorkerNodeActor"/>. Returns the process exit code: 0 completed, 3 stopped early, 2 bad configuration.
/// </summary>
public static class ClusterNode
{
    public static async Task<int> RunAsync(ClusterNodeOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (config, layers) = ClusterConfig.Build(options);
        var node = ClusterNodeSettings.Create(config);
        if (options.Role == NodeRole.Aggregator)
        {
            // Fail here, before joining, on a bad run config (the coordinator would only log it on the singleton's node).
            var settings = AkkaByzSettings.Create(ClusterConfig.RunConfig(layers, null));
            _ = settings;
        }

        var output = options.Output;
        ActorSystem system;
        try
        {
            system = ActorSystem.Create(ClusterConfig.SystemName, config);
        }
        catch (Exception e)
        {
            // Remoting start-up failures (port in use, bad TLS certificate or password) arrive deeply wrapped.
            var root = e;
            while (root.InnerException is not null) root = root.InnerException;
            throw new SettingsException($"the node's actor system could not start: {root.Message}", e);
        }
        var exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            // Start receiving vectors before anyone can send us one (the tcp carrier's listener, or the chunk inbox).
            var transport = VectorTransport.Get(system);
            var vectors = transport.ModeName + (transport.ListeningPort is { } vport ? $" on port {vport}" : "") +
                          (transport.Settings.Mode == VectorTransportMode.Akka ? "" : $", for vectors of at least {transport.Settings.Threshold} bytes");
            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {options.Role.ToString().ToLowerInvariant()} node {cluster.SelfAddress} " +
                              $"joining via [{string.Join(", ", config.GetStringList("akka.cluster.seed-nodes"))}]; vector transport: {vectors}");
            if (options.Role == NodeRole.Aggregator)
            {
                system.ActorOf(AggregatorNodeActor.Props(exit, output), AggregatorCoordinator.NodeActorName);
                system.ActorOf(ClusterSingletonManager.Props(
                        AggregatorCoordinator.Props(node, layers, options.DataSource, output),
                        PoisonPill.Instance,
                        ClusterSingletonManagerSettings.Create(system).WithRole("aggregator").WithSingletonName("coordinator")),
                    "aggregator");
            }
            else
            {
                var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/aggregator",
                        ClusterSingletonProxySettings.Create(system).WithRole("aggregator").WithSingletonName("coordinator")),
                    "aggregator-proxy");
                var name = $"worker@{cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}";
                system.ActorOf(WorkerNodeActor.Props(proxy, options.DataSource, name, node, exit, output), AggregatorCoordinator.NodeActorName);
            }

            using var registration = cancellation.Register(() => exit.TrySetResult(130));
            var code = await exit.Task.ConfigureAwait(false);
            // Let the last messages (RunFinished to the other nodes) leave before this node leaves the cluster.
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None).ConfigureAwait(false);
            return code;
        }
        finally
        {
            // Graceful leave: the cluster sees a departure, not a crash (no unreachability, no downing wait).
            var shutdown = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            await Task.WhenAny(shutdown, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        }
    }
}
