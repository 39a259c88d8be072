using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Runs one cluster node until the run is over, on the generic host (Microsoft.Extensions.Hosting): Akka.Hosting's
/// <c>AddAkka</c> builds the actor system named <see cref="ClusterConfig.SystemName"/> (the node's HOCON,
/// <c>WithRemoting</c>, <c>WithClustering</c> with the split-brain resolver option, the TLS setups), joined through
/// discovery (Akka.Management's cluster bootstrap over config or Kubernetes API discovery) or through seed nodes, with
/// its management endpoint (/alive, /ready from the host's health checks) and every log through
/// Microsoft.Extensions.Logging. Aggregator nodes run the <see cref="AggregatorCoordinator"/> as a cluster singleton
/// (<c>WithSingleton</c>: only the oldest aggregator node hosts it; the others are standbys that take over when it
/// leaves or is downed); worker nodes run a <see cref="WorkerNodeActor"/>. The node actor and the singleton manager are
/// in the ActorRegistry. SIGTERM and SIGINT stop the node gracefully (<see cref="NodeRunService"/>). Returns the process
/// exit code: 0 completed, 3 stopped early, 2 bad configuration, 4 removed from the cluster (downed), 130 interrupted.
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

    /// <summary>A port in 20000–32767 (below the ephemeral range) that can be bound now, drawn at random.</summary>
    private static int FreeManagementPort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = System.Random.Shared.Next(20000, 32768);
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // taken: draw again
            }
        }
        throw new SettingsException("--management-port 0: no free port found in 20000–32767; give the node a port.");
    }

    /// <summary>How the node joins, for its first line: the seed nodes, or the discovery method and its contact points.</summary>
    private static string JoiningVia(Akka.Configuration.Config config) => ClusterConfig.DiscoveryMethod(config) switch
    {
        "seed-nodes" => $"seed nodes [{string.Join(", ", config.GetStringList("akka.cluster.seed-nodes"))}]",
        "config" => $"config discovery of contact points [{string.Join(", ", config.GetStringList("akka.discovery.config.services.akkabyz.endpoints"))}]",
        _ => $"kubernetes discovery of pods '{config.GetString("akka.discovery.kubernetes-api.pod-label-selector", "")}'",
    };

    /// <summary>The ActorRegistry key of this node's node actor (<c>/user/node</c>: <see cref="AggregatorNodeActor"/> or <see cref="WorkerNodeActor"/>).</summary>
    public sealed class NodeActor;

    /// <summary>The ActorRegistry key of the aggregator node's ClusterSingletonManager (<c>/user/aggregator</c>), the coordinator's parent.</summary>
    public sealed class CoordinatorSingleton;

    /// <summary>The singleton manager's name (<c>/user/aggregator</c>) and the coordinator's (<c>/user/aggregator/coordinator</c>).</summary>
    public const string SingletonManagerName = "aggregator";

    /// <inheritdoc cref="SingletonManagerName"/>
    public const string CoordinatorName = "coordinator";

    /// <summary>How long a SIGTERM/SIGINT (or the cancellation token) waits for the aggregator's run to stop and its outputs to be written.</summary>
    private static readonly TimeSpan StopRunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Bound on leaving the cluster (Akka's CoordinatedShutdown, run by Akka.Hosting's hosted service).</summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Starts the management HTTP endpoint (/bootstrap/seed-nodes, /alive, /ready) on the node's own hostname and, with
    /// discovery, Akka.Management's cluster bootstrap (its self contact point is this endpoint).
    /// </summary>
    /// <exception cref="SettingsException">The management port is in use.</exception>
    private static async Task<Management.ManagementEndpoint> StartManagementAsync(ActorSystem system, HealthCheckService health, Akka.Configuration.Config config)
    {
        var host = config.GetString("akka.management.http.hostname", "127.0.0.1") ?? "127.0.0.1";
        var bind = config.GetString("akka.management.http.bind-hostname", "") ?? "";
        var port = config.GetInt("akka.management.http.port", 8558);
        var endpoint = Management.ManagementEndpoint.Start(system, health, bind.Length > 0 ? bind : host, port);
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
            else CheckpointTarget.Of(node, null)?.Probe(); // a configured folder or database (the run folder's is made with the run)
        }
        else CheckpointTarget.ForWorker(node)?.Probe(); // where this worker keeps its optimizer states: fails now, naming it, if unusable

        var output = options.Output;
        CheckPortFree(config);
        if (config.GetInt("akka.management.http.port", 8558) == 0)
        {
            // Port 0: a free port now (the bootstrap's self contact point must name the real one). It is bound only
            // later, so it is drawn below Linux's ephemeral range (32768–60999): another socket's port-0 bind (this
            // host's other nodes bind their remoting that way) can then never take it in between.
            var free = FreeManagementPort();
            config = Akka.Configuration.ConfigurationFactory.ParseString($"akka.management.http.port = {free}").WithFallback(config);
        }
        var security = SecuritySettings.Create(config);
        ActorSystem? created = null;
        var level = NodeLoggerFactory.Parse(options.LogLevel ?? "warning");
        config = Akka.Configuration.ConfigurationFactory.ParseString($"akka.loglevel = {NodeLoggerFactory.AkkaLevel(level)}").WithFallback(config);
        if (!options.RawLog) config = Akka.Configuration.ConfigurationFactory.ParseString("akka.stdout-loglevel = OFF").WithFallback(config);
        var setups = new List<Setup>();
        ClusterTrust? trust = null;
        if (security.IsSecure)
        {
            // Load and check both certificates before anything binds (a clear error names the file).
            trust = ClusterTrust.Load(security.CaCertificate, security.NodeCertificate, security.NodeCertificatePassword.Length > 0 ? security.NodeCertificatePassword : null);
            var role = options.Role == NodeRole.Aggregator ? NodeIdentity.AggregatorRole : NodeIdentity.WorkerRole;
            if (trust.Self.Role != role)
                throw new SettingsException($"--cert: '{security.NodeCertificate}' is the certificate of {trust.Self}, not of a {role} node (issue one with `akkabyz certs issue --role {role}`).");
            if (options.Role == NodeRole.Worker) _ = node.WorkerNameOf(trust.Self.Name, "", 0); // a different worker-name is refused before anything binds
            var t = trust;
            // Akka.Remote: mutual TLS, and a peer's certificate must chain to the cluster CA (not the system roots) with a valid identity.
            setups.Add(new NodeSecuritySetup(t));
            setups.Add(new DotNettySslSetup(t.Certificate, suppressValidation: false, requireMutualAuthentication: true,
                customValidator: (certificate, _, peer, _, _) =>
                {
                    if (t.TryIdentify(certificate, out _, out var reason, out var detail)) return true;
                    if (created is { } s) NodeSecurity.Get(s).Refuse(reason, $"akka-remote {peer}", $"Akka.Remote TLS handshake refused: {detail}");
                    return false;
                }));
        }
        else if (options.Insecure)
        {
            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] warning node: --insecure: this node proves nothing and checks nothing; anyone who reaches its ports " +
                              "can join, take worker slots and stop the run. Use certificates (akkabyz certs, docs/cluster.md) on any network you do not fully trust.");
        }

        var exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var logs = new NodeLoggerFactory(output ?? TextWriter.Null, level);
        var run = new NodeRunService(options.Role, exit, output);
        using var host = BuildHost(options, config, node, layers, setups, logs, exit, run);
        ActorSystem system;
        try
        {
            // Created here rather than inside the host's start (which only logs a failure): a start-up failure is a clear error.
            system = created = host.Services.GetRequiredService<ActorSystem>();
        }
        catch (Exception e)
        {
            // Remoting start-up failures (port in use, bad TLS certificate or password) arrive deeply wrapped.
            var root = e;
            while (root.InnerException is not null) root = root.InnerException;
            throw new SettingsException($"the node's actor system could not start: {root.Message}", e);
        }
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStopping = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        using var onCancel = cancellation.Register(lifetime.StopApplication);
        var started = false;
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var identity = NodeSecurity.Get(system).Self;
            await using var management = await StartManagementAsync(system, host.Services.GetRequiredService<HealthCheckService>(), config).ConfigureAwait(false);
            // The node's actors (registered in the ActorRegistry), the singleton manager, the health checks; then the
            // host's lifetime: SIGTERM and SIGINT stop it gracefully (NodeRunService, then Akka's CoordinatedShutdown).
            await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
            started = true;
            var transport = VectorTransport.Get(system);
            var vectors = transport.ModeName + (transport.ListeningPort is { } vport ? $" on port {vport}" : "") +
                          (transport.Settings.Mode == VectorTransportMode.Akka ? "" : $", for vectors of at least {transport.Settings.Threshold} bytes");
            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {options.Role.ToString().ToLowerInvariant()} node {cluster.SelfAddress} " +
                              $"joining via {JoiningVia(config)}; management endpoint {management.Address}; vector transport: {vectors}; " +
                              (identity is null ? "security: insecure (no certificates)" : $"security: mutual TLS, identity {identity}, CA '{trust!.Authority.Subject}'"));

            // A node the cluster removed (downed while frozen or partitioned) cannot rejoin under the same incarnation:
            // exit non-zero and say so, rather than wait forever outside the cluster. At the end of a run the exit code
            // is already set and this changes nothing.
            cluster.RegisterOnMemberRemoved(() =>
            {
                if (exit.TrySetResult(4))
                    output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] error: this node was removed from the cluster (downed: unreachable for too long, " +
                                      "e.g. frozen or cut off); exiting with code 4 — start it again to rejoin");
            });
            await Task.WhenAny(exit.Task, stopping.Task).ConfigureAwait(false);
        }
        finally
        {
            // Graceful stop: NodeRunService (stop the run and write the outputs on a signal, last messages out), then
            // Akka.Hosting's CoordinatedShutdown: the cluster sees a departure, not a crash (no unreachability, no downing wait).
            var stop = started ? host.StopAsync(CancellationToken.None) : CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            await Task.WhenAny(stop, Task.Delay(StopRunTimeout + LeaveTimeout, CancellationToken.None)).ConfigureAwait(false);
        }
        var code = await exit.Task.ConfigureAwait(false);
        return run.Interrupted ? 130 : code;
    }

    /// <summary>
    /// The node's generic host: Microsoft.Extensions.Logging through <see cref="NodeLoggerFactory"/> (the host's, Akka's
    /// and Akka.Hosting's messages alike), the console lifetime (SIGTERM, SIGINT → graceful stop) with its status lines
    /// off, and the actor system by Akka.Hosting: the node's configuration, remoting and clustering options (the
    /// split-brain resolver from <c>akka.cluster.split-brain-resolver</c>), the security setups, the node actors in the
    /// ActorRegistry, the coordinator singleton on aggregator nodes, and the liveness and readiness health checks.
    /// </summary>
    private static IHost BuildHost(ClusterNodeOptions options, Akka.Configuration.Config config, ClusterNodeSettings node, IReadOnlyList<string> layers,
        IReadOnlyList<Setup> setups, NodeLoggerFactory logs, TaskCompletionSource<int> exit, NodeRunService run)
    {
        var output = options.Output;
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "akkabyz-node" });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logs.Minimum);
        builder.Logging.AddProvider(logs);
        // The health-check service logs every failing check as an error: /ready is 503 by design until the node has its part.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = StopRunTimeout + LeaveTimeout);
        builder.Services.AddHealthChecks();
        builder.Services.AddAkka(ClusterConfig.SystemName, (akka, services) =>
        {
            akka.AddHocon(config, HoconAddMode.Replace);
            akka.WithRemoting(new RemoteOptions
            {
                HostName = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1"),
                Port = config.GetInt("akka.remote.dot-netty.tcp.port", 0),
            });
            var sbr = config.GetString("akka.cluster.split-brain-resolver.active-strategy", "keep-majority");
            akka.WithClustering(new ClusterOptions
            {
                Roles = [options.Role == NodeRole.Aggregator ? "aggregator" : "worker"],
                SeedNodes = [.. config.GetStringList("akka.cluster.seed-nodes")],
                SplitBrainResolver = SplitBrainResolver(sbr),
            });
            foreach (var setup in setups) akka.AddSetup(setup);
            if (!options.RawLog)
                akka.ConfigureLoggers(l =>
                {
                    l.LogLevel = AkkaLevel(logs.Minimum); // Akka filters before publishing; MEL filters again
                    l.ClearLoggers();
                    l.AddLoggerFactory();
                });
            akka.WithActors((system, registry) =>
            {
                // Start receiving vectors before anyone can send us one (the tcp carrier's listener, or the chunk inbox).
                _ = VectorTransport.Get(system);
                system.ActorOf(Metrics.ClusterObserverActor.Props(), "observer"); // membership for the Meter and the dashboard; reads only
                if (options.Role == NodeRole.Aggregator)
                {
                    registry.Register<NodeActor>(system.ActorOf(AggregatorNodeActor.Props(exit, output), AggregatorCoordinator.NodeActorName));
                }
                else
                {
                    var cluster = Akka.Cluster.Cluster.Get(system);
                    var self = NodeSecurity.Get(system).Self;
                    var name = node.WorkerNameOf(self?.Name, cluster.SelfAddress.Host ?? "", cluster.SelfAddress.Port ?? 0);
                    if (self is null && node.WorkerName.Length == 0 && config.GetInt("akka.remote.dot-netty.tcp.port", 0) == 0 && CheckpointTarget.ForWorker(node) is { } db)
                        output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] warning node: this worker keeps its optimizer states in {db.Location} under its name " +
                                          $"'{name}', which comes from its port (any free one): restarted, it gets another name and does not find them; " +
                                          "give it a name of its own (--name NAME, akkabyz-cluster.worker-name) or a fixed --port");
                    registry.Register<NodeActor>(system.ActorOf(WorkerNodeActor.Props(options.DataSource, name, node, exit, output), AggregatorCoordinator.NodeActorName));
                    // A worker that thaws after the cluster removed it may first see every other node as unreachable and down
                    // them in its own view, so it is never told it was removed; but the others have quarantined its
                    // incarnation, and the first association they refuse says so. Removed for good: exit 4.
                    system.ActorOf(QuarantineWatcher.Props(from =>
                    {
                        if (exit.TrySetResult(4))
                            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] error: this node was removed from the cluster ({from} quarantined it: " +
                                              "unreachable for too long, e.g. frozen or cut off); exiting with code 4 — start it again to rejoin");
                    }), "quarantine-watcher");
                }
            });
            if (options.Role == NodeRole.Aggregator)
            {
                // Only the oldest aggregator node hosts the coordinator; the others are standbys that take over when it
                // leaves or is downed. Workers do not use a singleton proxy: they send to the oldest Up aggregator whose
                // certificate proved the role (a proxy would follow the self-declared cluster role).
                akka.WithSingleton<CoordinatorSingleton>(SingletonManagerName, CoordinatorName,
                    AggregatorCoordinator.Props(node, layers, options.DataSource, output),
                    new ClusterSingletonOptions { Role = "aggregator", TerminationMessage = PoisonPill.Instance }, createProxyToo: false);
                // Without a proxy, WithSingleton leaves the manager out of the ActorRegistry: registered here, once, at start.
                akka.WithActors(async (system, registry) =>
                {
                    if (registry.TryGet<CoordinatorSingleton>(out _)) return;
                    var manager = await system.ActorSelection($"/user/{SingletonManagerName}").ResolveOne(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                    registry.TryRegister<CoordinatorSingleton>(manager);
                });
            }
            akka.WithActorSystemLivenessCheck(tags: [Management.NodeHealthCheck.LivenessTag]);
            akka.WithHealthCheck("akkabyz-ready", new Management.NodeHealthCheck(readiness: true), tags: [Management.NodeHealthCheck.ReadinessTag]);
        });
        // Registered after AddAkka: stopped before it (hosted services stop in reverse order), while the system still runs.
        builder.Services.AddHostedService(sp => run.For(sp.GetRequiredService<ActorSystem>()));
        return builder.Build();
    }

    private static Akka.Event.LogLevel AkkaLevel(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => Akka.Event.LogLevel.DebugLevel,
        LogLevel.Information => Akka.Event.LogLevel.InfoLevel,
        LogLevel.Warning => Akka.Event.LogLevel.WarningLevel,
        _ => Akka.Event.LogLevel.ErrorLevel, // error, off (MEL drops everything at off)
    };

    /// <summary><c>akka.cluster.split-brain-resolver.active-strategy</c> → Akka.Cluster.Hosting's option (its HOCON then matches ours).</summary>
    private static SplitBrainResolverOption SplitBrainResolver(string? strategy) => strategy switch
    {
        "keep-majority" => new KeepMajorityOption(),
        "keep-oldest" => new KeepOldestOption(),
        "static-quorum" => new StaticQuorumOption(),
        "lease-majority" => throw new SettingsException("akka.cluster.split-brain-resolver.active-strategy = lease-majority: needs a lease implementation, which AkkaByz does not ship; use keep-majority, keep-oldest or static-quorum."),
        _ => throw new SettingsException($"akka.cluster.split-brain-resolver.active-strategy = {strategy}: not one of keep-majority, keep-oldest, static-quorum."),
    };
}

/// <summary>
/// The node's part of the host's graceful stop, before Akka's CoordinatedShutdown. On SIGTERM/SIGINT (the run still
/// going) the aggregator node that hosts the run, with no standby aggregator in the cluster, asks its coordinator to
/// stop the run after the last completed round and waits until it has written the outputs and told the other nodes
/// (bounded); with a standby it just leaves, and the singleton's hand-over lets the standby resume the run from the
/// last checkpoint. The exit code is then 130. A worker node just leaves (the
/// aggregator treats it as a worker that left: the current crash rules). Then the node is no longer ready, reports what
/// it refused, and lets its last messages leave.
/// </summary>
internal sealed class NodeRunService(NodeRole role, TaskCompletionSource<int> exit, TextWriter? output) : IHostedService
{
    private ActorSystem system = null!;

    /// <summary>The node's actor system (from the host's services).</summary>
    public NodeRunService For(ActorSystem actorSystem)
    {
        system = actorSystem;
        return this;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!exit.Task.IsCompleted)
        {
            if (CoordinatedShutdown.Get(system).ShutdownReason is not null || system.WhenTerminated.IsCompleted)
            {
                // Akka is shutting the node down itself (downed and removed: the removal callback normally said so).
                exit.TrySetResult(4);
            }
            else
            {
                var signal = "stop requested (SIGTERM or Ctrl-C)";
                var cluster = Akka.Cluster.Cluster.Get(system);
                var standby = cluster.State.Members.FirstOrDefault(m => m.Status == Akka.Cluster.MemberStatus.Up && m.HasRole("aggregator") &&
                                                                        !m.UniqueAddress.Equals(cluster.SelfUniqueAddress));
                if (role == NodeRole.Aggregator && ActorRegistry.For(system).TryGet<ClusterNode.CoordinatorSingleton>(out var manager) &&
                    await IsCoordinatorRunning(manager).ConfigureAwait(false))
                {
                    if (standby is not null)
                    {
                        // A standby is there: leaving hands the singleton over; it resumes the run from the last checkpoint.
                        output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {signal}: leaving the cluster; the standby aggregator {standby.Address} " +
                                          "takes the run over from the last checkpoint");
                    }
                    else
                    {
                        output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {signal}: stopping the run after its last completed round and writing the outputs");
                        system.ActorSelection(manager.Path / ClusterNode.CoordinatorName).Tell(new Protocol.StopRun("interrupted"));
                        await Task.WhenAny(exit.Task, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken)).ConfigureAwait(false);
                    }
                }
                else
                {
                    output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {signal}: leaving the cluster");
                }
                // Interrupted, whatever the stopped run's own end says (a completed run set its code before the signal).
                Interrupted = true;
                exit.TrySetResult(130);
            }
        }
        Management.NodeHealth.Get(system).Finished();
        var (refused, _) = NodeSecurity.Get(system).Refusals();
        if (refused.Count > 0)
            output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] security: this node refused {refused.Values.Sum()} connections or messages (" +
                              string.Join(", ", refused.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")) + ")");
        // Let the last messages (RunFinished to the other nodes) leave before this node leaves the cluster.
        await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>True once a signal (or the cancellation token) stopped the node before its run ended: exit code 130.</summary>
    public bool Interrupted { get; private set; }

    private async Task<bool> IsCoordinatorRunning(IActorRef manager)
    {
        try
        {
            _ = await system.ActorSelection(manager.Path / ClusterNode.CoordinatorName).ResolveOne(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return true;
        }
        catch (ActorNotFoundException)
        {
            return false;
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
