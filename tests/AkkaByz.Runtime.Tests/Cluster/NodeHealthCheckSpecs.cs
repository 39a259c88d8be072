using Akka.Cluster;
using Akka.Hosting;
using AkkaByz.Runtime.Cluster.Management;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace AkkaByz.Runtime.Tests.Cluster;

/// <summary>
/// The node's liveness and readiness as Akka.Hosting health checks (what /alive and /ready serve), on an actor system
/// hosted by Akka.Hosting.TestKit with the cluster provider: alive from the start, ready only as an Up member doing its
/// part (here a worker node with a slot), not ready again once the run is over.
/// </summary>
public sealed class NodeHealthCheckSpecs(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(nameof(NodeHealthCheckSpecs), output)
{
    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) => services.AddHealthChecks();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        builder.AddHocon("""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.cluster.roles = [worker]
                """, HoconAddMode.Prepend)
            .WithActorSystemLivenessCheck(tags: [NodeHealthCheck.LivenessTag])
            .WithHealthCheck("akkabyz-ready", new NodeHealthCheck(readiness: true), tags: [NodeHealthCheck.ReadinessTag]);
    }

    private Task<HealthReport> Check(string tag) => Host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(tag));

    [Fact]
    public async Task A_node_is_alive_from_the_start_and_ready_only_while_it_does_its_part()
    {
        Assert.Equal(HealthStatus.Healthy, (await Check(NodeHealthCheck.LivenessTag)).Status);
        var ready = await Check(NodeHealthCheck.ReadinessTag);
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Contains("not a cluster member", ready.Entries["akkabyz-ready"].Description);

        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        await AwaitConditionAsync(() => Task.FromResult(cluster.SelfMember.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
        ready = await Check(NodeHealthCheck.ReadinessTag);
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Contains("waiting for a slot", ready.Entries["akkabyz-ready"].Description);

        NodeHealth.Get(Sys).WorkerSlot = 3;
        ready = await Check(NodeHealthCheck.ReadinessTag);
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Equal("worker of slot 3", ready.Entries["akkabyz-ready"].Description);

        NodeHealth.Get(Sys).Finished();
        Assert.Equal(HealthStatus.Unhealthy, (await Check(NodeHealthCheck.ReadinessTag)).Status);
        Assert.Equal(HealthStatus.Healthy, (await Check(NodeHealthCheck.LivenessTag)).Status);
    }
}
