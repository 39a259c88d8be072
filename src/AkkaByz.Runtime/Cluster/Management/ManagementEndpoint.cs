using System.Collections.Immutable;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using AkkaByz.Runtime.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Newtonsoft.Json;

namespace AkkaByz.Runtime.Cluster.Management;

/// <summary>
/// The node's management HTTP endpoint (<c>akka.management.http.hostname:port</c>): Akka.Management cluster bootstrap's
/// contact-point route <c>GET /bootstrap/seed-nodes</c> (the same JSON as Akka.Management's own route, written with its
/// protocol classes, so other nodes' bootstrap coordinators probe it unchanged), and <c>GET /alive</c> and
/// <c>GET /ready</c>: the node's Akka.Hosting health checks with the tags <see cref="NodeHealthCheck.LivenessTag"/> and
/// <see cref="NodeHealthCheck.ReadinessTag"/> (<see cref="NodeHealthCheck"/>), run by the host's
/// <see cref="HealthCheckService"/>: 200 when all are healthy, 503 otherwise, with the first failing check's reason. Akka.Management's own server (Akka.Http.Shim on Ceen.Httpd) does not
/// start with the Ceen.Httpd that restores here (0.9.10: MissingMethodException in HttpServer.ListenAsync), so the routes
/// are served by <see cref="HttpListener"/>. Read-only and unauthenticated: only GET on these three paths; it binds the
/// node's own address, and nothing it serves or reads grants an identity (that is mutual TLS's job).
/// </summary>
public sealed class ManagementEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ActorSystem _system;
    private readonly HealthCheckService _health;
    private readonly Task _loop;
    private readonly int _maxSeedNodes;

    private ManagementEndpoint(ActorSystem system, HealthCheckService health, string host, int port)
    {
        _system = system;
        _health = health;
        _maxSeedNodes = system.Settings.Config.GetInt("akka.management.cluster.bootstrap.contact-point.max-seed-nodes-to-expose", 5);
        var prefixHost = host is "0.0.0.0" or "::" or "*" ? "+" : host.Contains(':') ? $"[{host}]" : host;
        _listener.Prefixes.Add($"http://{prefixHost}:{port}/");
        Address = new Uri($"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The endpoint's base address.</summary>
    public Uri Address { get; }

    /// <summary>Binds the endpoint; fails with one clear line when the port is taken.</summary>
    /// <exception cref="SettingsException">The address cannot be bound.</exception>
    public static ManagementEndpoint Start(ActorSystem system, HealthCheckService health, string host, int port)
    {
        try
        {
            return new ManagementEndpoint(system, health, host, port);
        }
        catch (HttpListenerException e)
        {
            throw new SettingsException($"--management-port {port}: the management endpoint could not bind {host}:{port} ({e.Message}); choose a free port (each node on one host needs its own).", e);
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var (status, body) = context.Request.HttpMethod != "GET" ? (405, """{"error":"only GET"}""") : context.Request.Url?.AbsolutePath switch
            {
                "/alive" => await CheckAsync(NodeHealthCheck.LivenessTag, "alive", "not alive").ConfigureAwait(false),
                "/ready" => await CheckAsync(NodeHealthCheck.ReadinessTag, "ready", "not ready").ConfigureAwait(false),
                "/bootstrap/seed-nodes" => SeedNodes(),
                _ => (404, """{"error":"not found: /alive, /ready, /bootstrap/seed-nodes"}"""),
            };
            var bytes = Encoding.UTF8.GetBytes(body);
            response.StatusCode = status;
            response.ContentType = "application/json";
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // the client went away
        }
        finally
        {
            try { response.Close(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Runs the health checks with <paramref name="tag"/>: healthy → 200; otherwise 503 with the first failing check's reason.</summary>
    private async Task<(int, string)> CheckAsync(string tag, string good, string bad)
    {
        HealthReport report;
        try
        {
            report = await _health.CheckHealthAsync(r => r.Tags.Contains(tag)).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return (503, Status(bad, "the node is shutting down"));
        }
        var failing = report.Entries.Values.FirstOrDefault(e => e.Status != HealthStatus.Healthy);
        var healthy = report.Status == HealthStatus.Healthy && report.Entries.Count > 0;
        var reason = healthy ? string.Join("; ", report.Entries.Values.Select(e => e.Description).Where(d => !string.IsNullOrEmpty(d)))
            : report.Entries.Count == 0 ? $"no {tag} checks registered" : failing.Description ?? failing.Exception?.Message ?? failing.Status.ToString();
        return (healthy ? 200 : 503, Status(healthy ? good : bad, reason));
    }

    private static string Status(string status, string reason) => System.Text.Json.JsonSerializer.Serialize(new { status, reason });

    /// <summary>What Akka.Management's HttpClusterBootstrapRoutes answers: this node and up to N reachable members.</summary>
    private (int, string) SeedNodes()
    {
        var cluster = Akka.Cluster.Cluster.Get(_system);
        var self = cluster.SelfMember;
        var members = ImmutableList<HttpBootstrapJsonProtocol.ClusterMember>.Empty;
        if (self.Status is not (MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed))
        {
            var state = cluster.State;
            members = state.Members
                .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                .Take(_maxSeedNodes)
                .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
                .ToImmutableList();
        }
        return (200, JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, members)));
    }

    public async ValueTask DisposeAsync()
    {
        try { _listener.Stop(); } catch (ObjectDisposedException) { }
        _listener.Close();
        await _loop.ConfigureAwait(false);
    }
}
