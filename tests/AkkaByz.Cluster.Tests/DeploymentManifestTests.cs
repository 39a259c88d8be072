using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace AkkaByz.Cluster.Tests;

/// <summary>
/// deploy/: the Kubernetes manifests parse, hold the expected kinds, ports and probes, agree with each other and with
/// the run's config, and the containers' arguments are a working `akkabyz node` command line: the test runs them
/// with the real executable (the pod's IP, name and mounted files mapped to local ones, ports to free ones) and asks
/// the probes' paths on the probes' port. Docker and Kubernetes themselves cannot run here.
/// </summary>
[Collection("cluster processes")]
public sealed class DeploymentManifestTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterHarness _cluster = new(output);

    public void Dispose() => _cluster.Dispose();

    private static string Deploy(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AkkaByz.sln"))) return Path.Combine([dir.FullName, "deploy", .. parts]);
        throw new FileNotFoundException("AkkaByz.sln not found above the test assembly.");
    }

    /// <summary>Every document of every manifest in deploy/kubernetes (kustomization.yaml's resources), by kind/name.</summary>
    private static Dictionary<string, YamlMappingNode> Manifests()
    {
        var kustomization = Load(Deploy("kubernetes", "kustomization.yaml")).Single();
        var all = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        foreach (var file in Seq(kustomization, "resources").Select(Str))
            foreach (var doc in Load(Deploy("kubernetes", file)))
                all.Add($"{Str(doc, "kind")}/{Str(Map(doc, "metadata"), "name")}", doc);
        return all;
    }

    private static List<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];
    private static IEnumerable<YamlNode> Seq(YamlNode node, string key) => (YamlSequenceNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];
    private static string Str(YamlNode node, string key) => Str(((YamlMappingNode)node).Children[new YamlScalarNode(key)]);
    private static string Str(YamlNode node) => ((YamlScalarNode)node).Value ?? "";
    private static YamlMappingNode Container(YamlMappingNode set) => (YamlMappingNode)Seq(Map(Map(set, "spec"), "template")["spec"], "containers").Single();
    private static string[] Args(YamlMappingNode set) => Seq(Container(set), "args").Select(Str).ToArray();

    private static int Flag(string[] args, string flag) => int.Parse(args[Array.IndexOf(args, flag) + 1], CultureInfo.InvariantCulture);

    [Fact]
    public void The_manifests_hold_the_expected_kinds_ports_probes_and_agree_with_the_run_config()
    {
        var m = Manifests();
        Assert.Equal(["ConfigMap/akkabyz-config", "PersistentVolumeClaim/akkabyz-checkpoints", "Role/akkabyz-pod-reader", "RoleBinding/akkabyz-pod-reader",
                      "Service/akkabyz", "ServiceAccount/akkabyz", "StatefulSet/akkabyz-aggregator", "StatefulSet/akkabyz-worker"], m.Keys.Order(StringComparer.Ordinal));

        // Headless Service with the three ports.
        var service = Map(m["Service/akkabyz"], "spec");
        Assert.Equal("None", Str(service, "clusterIP"));
        var ports = Seq(service, "ports").ToDictionary(p => Str(p, "name"), p => int.Parse(Str(p, "port"), CultureInfo.InvariantCulture));
        Assert.Equal(new Dictionary<string, int> { ["remoting"] = 4053, ["vectors"] = 4054, ["management"] = 8558 }, ports);

        // RBAC: the service account may read pods (what Akka.Discovery.KubernetesApi lists), nothing more.
        var rule = (YamlMappingNode)Seq(m["Role/akkabyz-pod-reader"], "rules").Single();
        Assert.Equal(["pods"], Seq(rule, "resources").Select(Str));
        Assert.Equal(["get", "list", "watch"], Seq(rule, "verbs").Select(Str).Order(StringComparer.Ordinal));
        Assert.Equal("akkabyz", Str((YamlMappingNode)Seq(m["RoleBinding/akkabyz-pod-reader"], "subjects").Single(), "name"));

        var config = Akka.Configuration.ConfigurationFactory.ParseString(Str(Map(m["ConfigMap/akkabyz-config"], "data"), "cluster.conf"));
        var aggregator = m["StatefulSet/akkabyz-aggregator"];
        var worker = m["StatefulSet/akkabyz-worker"];
        // Active + standby; the bootstrap waits for both; one worker pod per slot.
        Assert.Equal(2, int.Parse(Str(Map(aggregator, "spec"), "replicas"), CultureInfo.InvariantCulture));
        Assert.Equal(2, config.GetInt("akkabyz-cluster.discovery.required-contact-points"));
        Assert.Equal(config.GetInt("akkabyz.workers"), int.Parse(Str(Map(worker, "spec"), "replicas"), CultureInfo.InvariantCulture));
        Assert.Equal("kubernetes", config.GetString("akkabyz-cluster.discovery.method"));
        // The discovery's label selector picks exactly the aggregator pods.
        var labels = Map(Map(Map(aggregator, "spec"), "template"), "metadata")["labels"];
        var selector = config.GetString("akkabyz-cluster.discovery.kubernetes.label-selector").Split(',').Select(kv => kv.Split('=')).ToArray();
        Assert.All(selector, kv => Assert.Equal(kv[1], Str(labels, kv[0])));
        Assert.Equal("worker", Str(Map(Map(Map(worker, "spec"), "template"), "metadata")["labels"], "app.kubernetes.io/component"));

        foreach (var (set, role) in new[] { (aggregator, "aggregator"), (worker, "worker") })
        {
            Assert.Equal("akkabyz", Str(Map(set, "spec"), "serviceName"));
            var spec = Map(Map(set, "spec"), "template")["spec"];
            Assert.Equal("akkabyz", Str(spec, "serviceAccountName"));
            Assert.Equal("true", Str(Map(spec, "securityContext"), "runAsNonRoot"));
            var container = Container(set);
            var args = Args(set);
            Assert.Equal(["node", "--role", role], args[..3]);
            Assert.Equal("kubernetes", args[Array.IndexOf(args, "--discovery") + 1]);
            var containerPorts = Seq(container, "ports").ToDictionary(p => Str(p, "name"), p => int.Parse(Str(p, "containerPort"), CultureInfo.InvariantCulture));
            Assert.Equal(ports, containerPorts);
            // The node listens where the Service and the probes look.
            Assert.Equal(containerPorts["remoting"], Flag(args, "--port"));
            Assert.Equal(containerPorts["vectors"], Flag(args, "--vector-port"));
            Assert.Equal(containerPorts["management"], Flag(args, "--management-port"));
            Assert.Equal("/alive", Str(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
            Assert.Equal("/ready", Str(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
            Assert.Equal("management", Str(Map(Map(container, "livenessProbe"), "httpGet"), "port"));
            Assert.Equal("management", Str(Map(Map(container, "readinessProbe"), "httpGet"), "port"));
            // Certificates from a Secret, mounted as files, read-only; the pod's own file by its name.
            var volumes = Seq(spec, "volumes").ToDictionary(v => Str(v, "name"), v => (YamlMappingNode)v);
            Assert.Equal($"akkabyz-{role}-certs", Str(Map(volumes["certs"], "secret"), "secretName"));
            var certMount = Seq(container, "volumeMounts").Single(v => Str(v, "name") == "certs");
            Assert.Equal("true", Str(certMount, "readOnly"));
            Assert.Equal($"{Str(certMount, "mountPath")}/$(POD_NAME).pfx", args[Array.IndexOf(args, "--cert") + 1]);
        }
        var checkpoints = Args(aggregator)[Array.IndexOf(Args(aggregator), "--checkpoint-dir") + 1];
        Assert.StartsWith(Str(Seq(Container(aggregator), "volumeMounts").Single(v => Str(v, "name") == "checkpoints"), "mountPath"), checkpoints, StringComparison.Ordinal);
        Assert.Equal("ReadWriteMany", Str(Seq(Map(m["PersistentVolumeClaim/akkabyz-checkpoints"], "spec"), "accessModes").Single()));
    }

    [Fact]
    public void The_dockerfile_is_multi_stage_runs_as_a_non_root_user_and_starts_the_cli()
    {
        var lines = File.ReadAllLines(Deploy("Dockerfile")).Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToArray();
        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build /app /app", StringComparison.Ordinal));
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain("root", user, StringComparison.Ordinal);
        Assert.NotEqual("0", user[5..].Split(':')[0].Trim());
        Assert.Equal("""ENTRYPOINT ["dotnet", "/app/akkabyz.dll"]""", lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("dotnet publish src/AkkaByz.Cli/AkkaByz.Cli.csproj", StringComparison.Ordinal));
        Assert.Equal("aggregator", Args(Manifests()["StatefulSet/akkabyz-aggregator"])[2]); // the image's arguments come from the manifests
    }

    [Theory]
    [InlineData("aggregator")]
    [InlineData("worker")]
    public async Task The_containers_arguments_start_a_node_whose_probes_answer_on_the_probes_port(string role)
    {
        var set = Manifests()[$"StatefulSet/akkabyz-{role}"];
        var container = Container(set);
        var config = Path.Combine(_cluster.Directory, "cluster.conf");
        File.WriteAllText(config, Str(Map(Manifests()["ConfigMap/akkabyz-config"], "data"), "cluster.conf"));
        var pod = $"akkabyz-{role}-0";
        var certDir = Str(Seq(container, "volumeMounts").Single(v => Str(v, "name") == "certs"), "mountPath");
        _ = _cluster.Certificate(role, pod); // the pod's certificate, as the Secret would hold it
        var ports = new Dictionary<string, string>(StringComparer.Ordinal);
        var args = Args(set).Select((a, i) =>
        {
            a = a.Replace("$(POD_IP)", "127.0.0.1", StringComparison.Ordinal).Replace("$(POD_NAME)", pod, StringComparison.Ordinal);
            if (a == "/etc/akkabyz/cluster.conf") return config;
            if (a.StartsWith(certDir + "/", StringComparison.Ordinal)) return Path.Combine(_cluster.CertificateDir, a[(certDir.Length + 1)..]);
            if (a.StartsWith("/var/lib/akkabyz/", StringComparison.Ordinal)) return Path.Combine(_cluster.Directory, a["/var/lib/akkabyz/".Length..]);
            return a;
        }).ToArray();
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] is "--port" or "--vector-port" or "--management-port")
                args[i + 1] = ports[args[i]] = ClusterHarness.FreePort().ToString(CultureInfo.InvariantCulture); // the box's own ports may be taken
        Assert.DoesNotContain(args, a => a.Contains("$(", StringComparison.Ordinal) || a.StartsWith("/etc/", StringComparison.Ordinal));

        var node = _cluster.Start(pod, args[1..]); // Start adds "node"
        var started = await node.WaitForLine(l => l.Contains("joining via kubernetes discovery", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.True(started is not null, "the node did not start with the manifest's arguments:\n" + node.Transcript());
        Assert.Contains("security: mutual TLS, identity " + role + ":" + pod, started, StringComparison.Ordinal);
        Assert.Contains("app.kubernetes.io/component=aggregator", started, StringComparison.Ordinal);
        var management = int.Parse(ports["--management-port"], CultureInfo.InvariantCulture);
        Assert.Equal(200, (await ClusterHarness.HttpGet(management, Str(Map(Map(container, "livenessProbe"), "httpGet"), "path"))).Status);
        // Outside Kubernetes there is no API to list pods: the node never joins, so it must not claim to be ready.
        var (status, body) = await ClusterHarness.HttpGet(management, Str(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal(503, status);
        Assert.Matches(new Regex("not a cluster member"), body);
        Assert.False(node.HasExited);
    }
}
