using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Tools.Singleton;
using Akka.Remote.Transport.DotNetty;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Runs one cluster node until the run is over: an actor system named <see cref="ClusterConfig.SystemName"/> with the
/// cluster provider, joined through discovery (Akka.Management's cluster bootstrap over config or Kubernetes API
/// discovery) or through seed nodes, with its management endpoint (/alive, /ready) and Akka's log through
/// Microsoft.Extensions.Logging. Aggregator nodes run a ClusterSingletonManager for the
/// <see cref="AggregatorCoordinator"/> (only the oldest aggregator node hosts it; the others are standbys that take
/// over when it leaves or is downed); worker nodes run a ClusterSingletonProxy to it and a
/// <see cref="WorkerNodeActor"/>. Returns the process exit code: 0 completed, 3 stopped early, 2 bad configuration,
/// 4 removed from the cluster (downed), 130 interrupted.
/// </summary>
public static class ClusterNode
{
    /// <summary>
    /// Akka's transport binds with SO_REUSEPORT on Linux (.NET's ReuseAddress sets both flags), so a second node on a
    /// fixed port would bind as well and the kernel would split the connections between them. A probe listener with
    /// SO_REUSEADDR only (allowed over connections in TIME_WAIT, never over another listener) fails first, and the
    /// node says so.
    /// </summary>
    /// <exception cref="SettingsException">The remoting port is held by another listener.</exception>
    private static void CheckPortFree(Akka.Configuration.Config config)
    {
        var port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
        if (port <= 0 || !OperatingSystem.IsLinux()) return;
        var host = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1") ?? "127.0.0.1";
        var address = System.Net.IPAddress.TryParse(host, out var ip) ? ip : System.Net.IPAddress.Any;
        using var probe = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        try
        {
            probe.Bind(new System.Net.IPEndPoint(address, port));
            probe.Listen(1);
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            throw new SettingsException($"--port {port}: another process is already listening on {host}:{port} (another node?); choose a free port or stop it.");
        }
    }

    /// <summary>How the node joins, for its first line: the seed nodes, or the discovery method and its contact points.</summary>
    private static string JoiningVia(Akka.Configuration.Config config) => ClusterConfig.DiscoveryMethod(config) switch
    {
        "seed-nodes" => $"seed nodes [{string.Join(", ", config.GetStringList("akka.cluster.seed-nodes"))}]",
        "config" => $"config discovery of contact points [{string.Join(", ", config.GetStringList("akka.discovery.config.services.akkabyz.endpoints"))}]",
        _ => $"kubernetes discovery of pods '{config.GetString("akka.discovery.kubernetes-api.pod-label-selector", "")}'",
    };

    /// <summary>
    /// Starts the management HTTP endpoint (/bootstrap/seed-nodes, /alive, /ready) on the node's own hostname and, with
    /// discovery, Akka.Management's cluster bootstrap (its self contact point is this endpoint).
    /// </summary>
    /// <exception cref="SettingsException">The management port is in use.</exception>
    private static async Task<Management.ManagementEndpoint> StartManagementAsync(ActorSystem system, Akka.Configuration.Config config)
    {
        var host = config.GetString("akka.management.http.hostname", "127.0.0.1") ?? "127.0.0.1";
        var bind = config.GetString("akka.management.http.bind-hostname", "") ?? "";
        var port = config.GetInt("akka.management.http.port", 8558);
        var endpoint = Management.ManagementEndpoint.Start(system, bind.Length > 0 ? bind : host, port);
        if (ClusterConfig.DiscoveryMethod(config) != "seed-nodes")
        {
            var bootstrap = Akka.Management.Cluster.Bootstrap.ClusterBootstrap.Get(system);
            var self = new Uri($"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}");
            _ = bootstrap.Routes(Akka.Management.Dsl.ManagementRouteProviderSettings.Create(self, readOnly: true));
            await bootstrap.Start().ConfigureAwait(false);
        }
        return endpoint;
    }

    public static async Task<int> RunAsync(ClusterNodeOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (config, layers) = ClusterConfig.Build(options);
        var node = ClusterNodeSettings.Create(config);
        if (options.Role == NodeRole.Aggregator)
        {
            // Fail here, before joining, on a bad run config (the coordinator would only log it on the singleton's node).
            var settings = AkkaByzSettings.Create(ClusterConfig.RunConfig(layers, null));
            // The names (attack, rule, model) are checked here too, so a typo never joins the cluster first.
            _ = Composition.AttackCatalog.Factory(settings.Attack);
            _ = Composition.AggregatorCatalog.Factory(settings.Aggregator, settings.Workers, settings.Byzantine, settings.Seed);
            if (!Composition.ModelCatalog.Names.Contains(settings.Model, StringComparer.Ordinal))
                throw new SettingsException($"akkabyz.model = \"{settings.Model}\": unknown model; models: {string.Join(", ", Composition.ModelCatalog.Names)}.");
            // A checkpoint folder that cannot be written fails now, not as errors in every checkpoint of the run.
            // (The default folder, inside the run's output folder, is made with the outputs when the run starts.)
            if (node.Resume.Length > 0) _ = RunResumption.CheckBeforeJoining(node, layers);
            else Checkpointing.CheckpointTarget.Of(node, null)?.Probe(); // a configured folder or database (the run folder's is made with the run)
        }

        var output = options.Output;
        CheckPortFree(config);
        if (config.GetInt("akka.management.http.port", 8558) == 0)
        {
            // Port 0: a free port now (the bootstrap's self contact point must name the real one).
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            var free = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            config = Akka.Configuration.ConfigurationFactory.ParseString($"akka.management.http.port = {free}").WithFallback(config);
        }
        var security = SecuritySettings.Create(config);
        ActorSystem? created = null;
        // Akka's log through Microsoft.Extensions.Logging (Akka.Hosting's LoggerFactoryLogger), one readable line per event.
        var level = NodeLoggerFactory.Parse(options.LogLevel ?? "warning");
        config = Akka.Configuration.ConfigurationFactory.ParseString($"akka.loglevel = {NodeLoggerFactory.AkkaLevel(level)}").WithFallback(config);
        if (!options.RawLog)
            config = Akka.Configuration.ConfigurationFactory.ParseString("""
                akka.loggers = ["Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting"]
                akka.stdout-loglevel = OFF
                """).WithFallback(config);
        var setup = BootstrapSetup.Create().WithConfig(config);
        var systemSetup = ActorSystemSetup.Create(setup);
        if (!options.RawLog) systemSetup = systemSetup.And(new Akka.Hosting.Logging.LoggerFactorySetup(new NodeLoggerFactory(output ?? TextWriter.Null, level)));
        ClusterTrust? trust = null;
        if (security.IsSecure)
        {
            // Load and check both certificates before anything binds (a clear error names the file).
            trust = ClusterTrust.Load(security.CaCertificate, security.NodeCertificate, security.NodeCertificatePassword.Length > 0 ? security.NodeCertificatePassword : null);
            var role = options.Role == NodeRole.Aggregator ? NodeIdentity.AggregatorRole : NodeIdentity.WorkerRole;
            if (trust.Self.Role != role)
                throw new SettingsException($"--cert: '{security.NodeCertificate}' is the certificate of {trust.Self}, not of a {role} node (issue one with `akkabyz certs issue --role {role}`).");
            var t = trust;
            // Akka.Remote: mutual TLS, and a peer's certificate must chain to the cluster CA (not the system roots) with a valid identity.
            systemSetup = systemSetup.And(new NodeSecuritySetup(t)).And(new DotNettySslSetup(t.Certificate, suppressValidation: false, requireMutualAuthentication: true,
                customValidator: (certificate, _, peer, _, _) =>
                {
                    if (t.TryIdentify(certificate, out _, out var reason, out var detail)) return true;
                    if (created is { } s) NodeSecurity.Get(s).Refuse(reason, $"akka-remote {peer}", $"Akka.Remote TLS handshake refused: {detail}");
                    return false;
                }));
        }
        else if (options.Insecure)
        {
            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] WARNING: --insecure: this node proves nothing and checks nothing; anyone who reaches its ports " +
                              "can join, take worker slots and stop the run. Use certificates (akkabyz certs, docs/cluster.md) on any network you do not fully trust.");
        }
        ActorSystem system;
        try
        {
            system = created = ActorSystem.Create(ClusterConfig.SystemName, systemSetup);
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
            var identity = NodeSecurity.Get(system).Self;
            await using var management = await StartManagementAsync(system, config).ConfigureAwait(false);
            // Start receiving vectors before anyone can send us one (the tcp carrier's listener, or the chunk inbox).
            var transport = VectorTransport.Get(system);
            var vectors = transport.ModeName + (transport.ListeningPort is { } vport ? $" on port {vport}" : "") +
                          (transport.Settings.Mode == VectorTransportMode.Akka ? "" : $", for vectors of at least {transport.Settings.Threshold} bytes");
            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {options.Role.ToString().ToLowerInvariant()} node {cluster.SelfAddress} " +
                              $"joining via {JoiningVia(config)}; management endpoint {management.Address}; vector transport: {vectors}; " +
                              (identity is null ? "security: insecure (no certificates)" : $"security: mutual TLS, identity {identity}, CA '{trust!.Authority.Subject}'"));
            system.ActorOf(Metrics.ClusterObserverActor.Props(), "observer"); // membership for the Meter and the dashboard; reads only
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
                var name = identity?.Name ?? $"worker@{cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}";
                system.ActorOf(WorkerNodeActor.Props(options.DataSource, name, node, exit, output), AggregatorCoordinator.NodeActorName);
            }

            using var registration = cancellation.Register(() => exit.TrySetResult(130));
            // A node the cluster removed (downed while frozen or partitioned) cannot rejoin under the same incarnation:
            // exit non-zero and say so, rather than wait forever outside the cluster. At the end of a run the exit code
            // is already set and this changes nothing.
            cluster.RegisterOnMemberRemoved(() =>
            {
                if (exit.TrySetResult(4))
                    output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] error: this node was removed from the cluster (downed: unreachable for too long, " +
                                      "e.g. frozen or cut off); exiting with code 4 — start it again to rejoin");
            });
            // A worker that thaws after the cluster removed it may first see every other node as unreachable and down
            // them in its own view, so it is never told it was removed; but the others have quarantined its
            // incarnation, and the first association they refuse says so. Removed for good: exit 4 as above.
            if (options.Role == NodeRole.Worker)
            {
                Action<Address> onQuarantined = from =>
                {
                    if (exit.TrySetResult(4))
                        output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] error: this node was removed from the cluster ({from} quarantined it: " +
                                          "unreachable for too long, e.g. frozen or cut off); exiting with code 4 — start it again to rejoin");
                };
                system.ActorOf(QuarantineWatcher.Props(onQuarantined), "quarantine-watcher");
            }
            var code = await exit.Task.ConfigureAwait(false);
            Management.NodeHealth.Get(system).Finished();
            var (refused, _) = NodeSecurity.Get(system).Refusals();
            if (refused.Count > 0)
                output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] security: this node refused {refused.Values.Sum()} connections or messages (" +
                                  string.Join(", ", refused.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")) + ")");
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

/// <summary>Calls back once when another node has quarantined this actor system (it removed this incarnation).</summary>
internal sealed class QuarantineWatcher : ReceiveActor
{
    public QuarantineWatcher(Action<Address> onQuarantined)
    {
        Receive<Akka.Remote.ThisActorSystemQuarantinedEvent>(e => onQuarantined(e.RemoteAddress));
    }

    public static Props Props(Action<Address> onQuarantined) => Akka.Actor.Props.Create(() => new QuarantineWatcher(onQuarantined));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.ThisActorSystemQuarantinedEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
