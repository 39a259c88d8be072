using System.CommandLine;
using System.Globalization;
using AkkaByz.Cli.Display;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz node --role aggregator|worker</c>: one node of a cluster run (docs/cluster.md). The aggregator node
/// owns the run's configuration (its --config file and run flags) and hands it to every worker with its shard index;
/// a worker needs only how to find the cluster (discovery or seed nodes) and, optionally, where its copy of the data lives.
/// </summary>
public static class NodeCommand
{
    public static Command Create()
    {
        var command = new Command("node", "Run one cluster node (aggregator or worker) until the run is over; see docs/cluster.md.");
        var role = new Option<string>("--role") { Description = "aggregator (the oldest hosts the run; more = standbys) | worker.", Required = true };
        role.AcceptOnlyFromAmong("aggregator", "worker");
        var config = new Option<FileInfo>("--config") { Description = "HOCON file (see hocon/cluster.conf): akka.* for the node, akkabyz.* for the run, akkabyz-cluster.*." };
        var port = new Option<int?>("--port") { Description = "Remoting port (0 = any free port; seed nodes need a fixed one)." };
        var hostname = new Option<string>("--hostname") { Description = "Address to bind and advertise (default 127.0.0.1)." };
        var seeds = new Option<string[]>("--seed-nodes") { Description = "Seed nodes host:port (repeatable or space-separated); instead of discovery.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var discovery = new Option<string>("--discovery") { Description = "How the node finds the cluster: config (--contact list) | kubernetes (pods by label) | seed-nodes (default: config, or seed-nodes with --seed-nodes)." };
        discovery.AcceptOnlyFromAmong([.. ClusterConfig.DiscoveryMethods]);
        var contacts = new Option<string[]>("--contact") { Description = "Config discovery: management host:port of the aggregator nodes (repeatable, space- or comma-separated; default 127.0.0.1:8558).", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var managementPort = new Option<int?>("--management-port") { Description = "Port of this node's management HTTP endpoint (bootstrap, /alive, /ready) on its own hostname (default 8558; 0 = any free port)." };
        var name = new Option<string>("--name") { Description = "Worker: this node's name without certificates (default worker@HOST:PORT; with --cert the certificate's). A restarted worker finds its stored optimizer states only under the same name." };
        var data = new Option<string>("--data") { Description = "Data source on this node: synthetic | idx:DIR | cifar10:DIR (a worker reads its shard from here)." };
        var checkpointDir = new Option<string>("--checkpoint-dir") { Description = "Checkpoint folder (default: the run's OUT; 'off' = none; standbys must see the same one). A worker given one keeps its optimizer states in its checkpoints.db (sqlite)." };
        var checkpointStore = new Option<string>("--checkpoint-store") { Description = "Where checkpoints live: sqlite (default) | postgresql | files." };
        checkpointStore.AcceptOnlyFromAmong("sqlite", "postgresql", "files");
        var checkpointDb = new Option<string>("--checkpoint-db") { Description = "Checkpoint database: the PostgreSQL connection string (--checkpoint-store postgresql) or an SQLite file (default OUT/checkpoints.db). A worker given one keeps its optimizer states there too, and a restarted worker reads them back." };
        var resume = new Option<string>("--resume") { Description = "Aggregator: continue the interrupted run whose output folder (or checkpoint folder) is DIR." };
        var minWorkers = new Option<int?>("--min-workers") { Description = "Aggregator: start with at least N registered workers when the start timeout fires (default: wait for all m)." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Aggregator: checkpoint every K rounds." };
        var rounds = new Option<long?>("--rounds") { Description = "Aggregator: rounds to run (overrides the config)." };
        var workers = new Option<int?>("--workers", "-m") { Description = "Aggregator: m, the number of worker slots." };
        var byzantine = new Option<int?>("--byzantine", "-f") { Description = "Aggregator: f." };
        var attack = new Option<string>("--attack") { Description = "Aggregator: attack of the Byzantine slots. " + CatalogHelp.Attacks };
        var seed = new Option<int?>("--seed") { Description = "Aggregator: seed of everything random." };
        var outDir = new Option<string>("--out") { Description = "Aggregator: output folder (summary.json, metrics.csv, parameters.bin, cluster.json)." };
        var vectorTransport = new Option<string>("--vector-transport") { Description = "How large vectors travel: tcp (a socket per node pair) | akka-chunked | akka. Same on every node." };
        vectorTransport.AcceptOnlyFromAmong("tcp", "akka-chunked", "akka");
        var vectorPort = new Option<int?>("--vector-port") { Description = "Port of this node's vector listener (tcp mode; 0 = any free port, the default)." };
        var ca = new Option<FileInfo>("--ca") { Description = "The cluster CA's certificate (ca.crt from `akkabyz certs init`): turns on mutual TLS pinned to it (needs --cert)." };
        var cert = new Option<FileInfo>("--cert") { Description = "This node's certificate and key (NAME.pfx from `akkabyz certs issue --role aggregator|worker`)." };
        var certPassword = new Option<string>("--cert-password") { Description = "Password of the --cert file, if it has one." };
        var logLevel = new Option<string>("--log-level") { Description = "Log level, Akka's log included: trace | debug | info | warning (default) | error | off." };
        logLevel.AcceptOnlyFromAmong([.. NodeLoggerFactory.Levels]);
        var rawLog = new Option<bool>("--raw-log") { Description = "Akka's own log lines ([WARNING][date][Thread][path] ...) instead of one readable line per event." };
        var insecure = new Option<bool>("--insecure") { Description = "Allow a non-loopback address without certificates: anyone who reaches the node can join and take worker slots." };
        var plugins = CatalogHelp.PluginOption();
        foreach (var o in new Option[] { role, config, port, hostname, seeds, discovery, contacts, managementPort, name, data, checkpointDir, checkpointStore, checkpointDb, resume, minWorkers, checkpointEvery, rounds, workers, byzantine, attack, seed, outDir, vectorTransport, vectorPort, ca, cert, certPassword, insecure, logLevel, rawLog, plugins })
            command.Options.Add(o);
        var watch = new WatchOptions(command);

        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                Runtime.Composition.PluginLoader.Load(parse.GetValue(plugins) ?? []);
                var run = new List<KeyValuePair<string, string>>();
                void Run(string key, string? value) { if (value is not null) run.Add(new(key, value)); }
                Run("akkabyz.rounds", parse.GetValue(rounds)?.ToString(CultureInfo.InvariantCulture));
                Run("akkabyz.workers", parse.GetValue(workers)?.ToString(CultureInfo.InvariantCulture));
                Run("akkabyz.byzantine", parse.GetValue(byzantine)?.ToString(CultureInfo.InvariantCulture));
                Run("akkabyz.seed", parse.GetValue(seed)?.ToString(CultureInfo.InvariantCulture));
                Run("akkabyz.attack", parse.GetValue(attack) is { } a ? AkkaByzConfig.Quote(a) : null);
                Run("akkabyz.output.dir", parse.GetValue(outDir) is { } o ? AkkaByzConfig.Quote(o) : null);
                var extra = new List<string>();
                if (parse.GetValue(checkpointDir) is { } dir) extra.Add($"akkabyz-cluster.checkpoint-dir = {AkkaByzConfig.Quote(dir)}");
                if (parse.GetValue(checkpointStore) is { } store) extra.Add($"akkabyz-cluster.checkpoint-store = {store}");
                if (parse.GetValue(checkpointDb) is { } db)
                {
                    if (string.IsNullOrWhiteSpace(db)) throw new SettingsException("--checkpoint-db: empty; give a PostgreSQL connection string or an SQLite file.");
                    extra.Add($"akkabyz-cluster.checkpoint-db = {AkkaByzConfig.Quote(db)}");
                }
                if (parse.GetValue(name) is { } workerName) extra.Add($"akkabyz-cluster.worker-name = {AkkaByzConfig.Quote(workerName)}");
                if (parse.GetValue(resume) is { } from) extra.Add($"akkabyz-cluster.resume = {AkkaByzConfig.Quote(from)}");
                if (parse.GetValue(minWorkers) is { } least) extra.Add($"akkabyz-cluster.min-workers = {least}");
                if (parse.GetValue(checkpointEvery) is { } every) extra.Add($"akkabyz-cluster.checkpoint-interval = {every}");
                if (parse.GetValue(vectorTransport) is { } mode) extra.Add($"akkabyz-transport.mode = {mode}");
                if (parse.GetValue(vectorPort) is { } vport)
                {
                    if (vport is < 0 or > 65535) throw new SettingsException($"--vector-port: {vport} is not a TCP port (0..65535).");
                    extra.Add($"akkabyz-transport.tcp.port = {vport}");
                }

                var isAggregator = parse.GetValue(role) == "aggregator";
                if (isAggregator && parse.GetValue(name) is not null)
                    throw new SettingsException("--name belongs to a worker node (an aggregator is known by its address, or its certificate).");
                if (!isAggregator && (parse.GetValue(resume) is not null || parse.GetValue(minWorkers) is not null))
                    throw new SettingsException("--resume and --min-workers belong to the aggregator node.");
                if (!isAggregator && run.Count > 0)
                    throw new SettingsException("run settings (--rounds, --workers, --byzantine, --attack, --seed, --out) belong to the aggregator node; " +
                                                "a worker receives the run's configuration from it.");
                if (!isAggregator && watch.DashboardRequested(parse))
                    throw new SettingsException("--dashboard: belongs to an aggregator node (the run's rounds are there); a worker node can export --metrics-port or --otlp.");
                await using var watching = await watch.StartAsync(parse, isAggregator ? "node" : "node-worker",
                    new NodeLines(output, "Watching"), new NodeLines(error, "Watching"), cancellation).ConfigureAwait(false);
                var options = new ClusterNodeOptions
                {
                    Role = isAggregator ? NodeRole.Aggregator : NodeRole.Worker,
                    ConfigFile = parse.GetValue(config)?.FullName,
                    Port = parse.GetValue(port),
                    Hostname = parse.GetValue(hostname),
                    SeedNodes = parse.GetValue(seeds) ?? [],
                    Discovery = parse.GetValue(discovery),
                    Contacts = (parse.GetValue(contacts) ?? []).SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
                    ManagementPort = parse.GetValue(managementPort),
                    DataSource = parse.GetValue(data),
                    RunOverrides = run,
                    ExtraHocon = extra.Count > 0 ? string.Join("\n", extra) : null,
                    CaCertificate = parse.GetValue(ca)?.FullName,
                    NodeCertificate = parse.GetValue(cert)?.FullName,
                    NodeCertificatePassword = parse.GetValue(certPassword),
                    Insecure = parse.GetValue(insecure),
                    LogLevel = parse.GetValue(logLevel),
                    RawLog = parse.GetValue(rawLog),
                    Output = output,
                };
                var code = await ClusterNode.RunAsync(options, cancellation).ConfigureAwait(false);
                if (code == 2) error.WriteLine("akkabyz node: the run could not start (see the error above).");
                return code;
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                error.WriteLine($"akkabyz node: {UserErrors.Describe(e)}");
                return 2;
            }
        });
        return command;
    }
}
