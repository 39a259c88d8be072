using Akka.Actor;
using Akka.Configuration;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

/// <summary>The security settings' validation, and what a node concludes about a sender (origins, roles, refusal counts).</summary>
public sealed class NodeSecuritySpecs
{
    private static Config Section(string hocon) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(Runtime.Cluster.ClusterConfig.Reference);

    [Fact]
    public void Settings_default_to_insecure_and_a_system_without_the_section_is_insecure()
    {
        Assert.Equal(SecurityMode.Insecure, SecuritySettings.Create(Section("")).Mode);
        Assert.Same(SecuritySettings.Disabled, SecuritySettings.Create(ConfigurationFactory.Empty));
    }

    [Theory]
    [InlineData("akkabyz-cluster.security.mode = tls", "akkabyz-cluster.security.mode: 'tls' is not a mode")]
    [InlineData("akkabyz-cluster.security.mode = mtls", "akkabyz-cluster.security.ca-certificate: mode = mtls needs")]
    [InlineData("akkabyz-cluster.security { mode = mtls, ca-certificate = ca.crt }", "akkabyz-cluster.security.node-certificate: mode = mtls needs")]
    [InlineData("akkabyz-cluster.security.handshake-timeout = 0s", "handshake-timeout: must be positive")]
    [InlineData("akkabyz-cluster.security.max-pending-handshakes = 0", "max-pending-handshakes: must be at least 1")]
    [InlineData("akkabyz-cluster.security.max-connections-per-peer = 0", "max-connections-per-peer: must be at least 1")]
    [InlineData("akkabyz-cluster.security.max-control-message-size = 100b", "max-control-message-size: must be 4KiB..64MiB")]
    public void Settings_errors_name_the_key(string hocon, string expected)
    {
        var e = Assert.Throws<SettingsException>(() => SecuritySettings.Create(Section(hocon)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_local_system_every_sender_is_local_and_may_act_in_any_role()
    {
        var system = ActorSystem.Create("security-local", "akka.loglevel = OFF");
        try
        {
            var security = NodeSecurity.Get(system);
            Assert.False(security.IsRemote);
            var origin = security.OriginOf(ActorRefs.Nobody);
            Assert.Equal(OriginKind.Local, origin.Kind);
            Assert.True(origin.IsProven);
            Assert.True(security.IsAggregator(ActorRefs.Nobody));
            Assert.True(security.IsWorker(ActorRefs.Nobody));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task In_a_remote_system_a_sender_is_authenticated_only_once_its_address_is_bound_and_roles_are_checked()
    {
        var system = ActorSystem.Create("security-remote", ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = OFF
            akkabyz-cluster.security.mode = insecure
            """).WithFallback(Runtime.Cluster.ClusterConfig.Reference));
        try
        {
            var security = NodeSecurity.Get(system);
            var provider = ((ExtendedActorSystem)system).Provider;
            var peer = new Address("akka.tcp", "akkabyz", "127.0.0.1", 1);
            var remote = provider.ResolveActorRef($"{peer}/user/node");
            Assert.Equal(OriginKind.Unauthenticated, security.OriginOf(remote).Kind);
            Assert.False(security.OriginOf(remote).IsProven);
            Assert.True(security.IsAggregator(remote)); // insecure mode: nothing proven, nothing refused (today's behaviour)
            Assert.Equal(OriginKind.Local, security.OriginOf(((ExtendedActorSystem)system).Guardian).Kind);
            Assert.Equal(OriginKind.Unauthenticated, security.OriginOf(ActorRefs.Nobody).Kind);

            Assert.True(security.Bind(peer, new NodeIdentity(NodeIdentity.WorkerRole, "w1")));
            Assert.False(security.Bind(peer, new NodeIdentity(NodeIdentity.WorkerRole, "mallory"))); // first binding stays
            var origin = security.OriginOf(remote);
            Assert.Equal((OriginKind.Authenticated, "worker:w1"), (origin.Kind, origin.Principal));
            Assert.True(security.IsWorker(remote));
            Assert.False(security.IsAggregator(remote)); // a worker identity never speaks for the aggregator
            security.Unbind(peer);
            Assert.Equal(OriginKind.Unauthenticated, security.OriginOf(remote).Kind);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Refusals_are_counted_per_reason_and_per_peer_whatever_is_logged()
    {
        var system = ActorSystem.Create("security-counts", "akka.loglevel = OFF");
        try
        {
            var security = NodeSecurity.Get(system);
            for (var i = 0; i < 1000; i++) security.Refuse("stalled", "peer-a", "trickle");
            security.Refuse("foreign-ca", "peer-b", "another CA");
            security.RefuseMessage(new AkkaByz.Runtime.Protocol.Params(1, [1f]), ActorRefs.Nobody, "not-from-aggregator");
            var (byReason, byPeer) = security.Refusals();
            Assert.Equal(1000, byReason["stalled"]);
            Assert.Equal(1, byReason["foreign-ca"]);
            Assert.Equal(1, byReason["not-from-aggregator:Params"]);
            Assert.Equal(1000, byPeer["peer-a"]["stalled"]);
            Assert.Equal(1002, security.RefusedTotal);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
