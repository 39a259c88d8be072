using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

/// <summary>
/// Real TLS handshakes over loopback sockets, both ends presenting a node certificate and validating the other's
/// with <see cref="ClusterTrust.TryIdentify(X509Certificate?, out NodeIdentity?, out string)"/> — the way the
/// cluster transport uses it.
/// </summary>
public sealed class MutualTlsSpecs : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly Pki _pki = new();

    public void Dispose() => _pki.Dispose();

    /// <summary>What one end saw of the handshake.</summary>
    private sealed class Side
    {
        public NodeIdentity? Peer;
        public string? Reason;
        public Exception? Error;
        public string? Received;
    }

    private static RemoteCertificateValidationCallback Validate(ClusterTrust trust, Side side) => (_, certificate, _, _) =>
    {
        // The platform's policy errors judge against system roots; the cluster CA is the only judge here.
        var ok = trust.TryIdentify(certificate, out side.Peer, out var reason);
        side.Reason = reason;
        return ok;
    };

    private static async Task<(Side Server, Side Client)> Handshake(ClusterTrust server, ClusterTrust client, bool clientPresents = true)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var cancel = new CancellationTokenSource(Timeout);
        var serverSide = new Side();
        var clientSide = new Side();

        var serverTask = Task.Run(async () =>
        {
            try
            {
                using var socket = await listener.AcceptTcpClientAsync(cancel.Token);
                await using var ssl = new SslStream(socket.GetStream(), false, Validate(server, serverSide));
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = server.Certificate,
                    ClientCertificateRequired = true,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancel.Token);
                serverSide.Received = await Exchange(ssl, "from " + server.Self, cancel.Token);
            }
            catch (Exception e)
            {
                serverSide.Error = e;
            }
        });
        var clientTask = Task.Run(async () =>
        {
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
                await using var ssl = new SslStream(socket.GetStream(), false, Validate(client, clientSide));
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    ClientCertificates = clientPresents ? [client.Certificate] : [],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancel.Token);
                clientSide.Received = await Exchange(ssl, "from " + client.Self, cancel.Token);
            }
            catch (Exception e)
            {
                clientSide.Error = e;
            }
        });
        await Task.WhenAll(serverTask, clientTask);
        return (serverSide, clientSide);
    }

    /// <summary>Writes a line and reads the other side's: proves the channel works both ways.</summary>
    private static async Task<string> Exchange(SslStream ssl, string text, CancellationToken cancel)
    {
        await ssl.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text + "\n"), cancel);
        await ssl.FlushAsync(cancel);
        var buffer = new byte[256];
        var received = new List<byte>();
        while (!received.Contains((byte)'\n'))
        {
            var n = await ssl.ReadAsync(buffer, cancel);
            if (n == 0) throw new IOException("closed before a line");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        return System.Text.Encoding.UTF8.GetString(received.ToArray()).TrimEnd('\n');
    }

    [Fact]
    public async Task Mutual_tls_between_an_aggregator_and_a_worker_of_the_ca_must_succeed_and_each_must_see_the_other()
    {
        using var aggregator = _pki.Trust(_pki.Issue(NodeIdentity.AggregatorRole, "agg1", password: "pw"), "pw");
        using var worker = _pki.Trust(_pki.Issue(NodeIdentity.WorkerRole, "w1"));
        var (server, client) = await Handshake(aggregator, worker);
        Assert.Null(server.Error);
        Assert.Null(client.Error);
        Assert.Equal(new NodeIdentity("worker", "w1"), server.Peer);
        Assert.Equal(new NodeIdentity("aggregator", "agg1"), client.Peer);
        Assert.Equal("from worker:w1", server.Received);
        Assert.Equal("from aggregator:agg1", client.Received);
    }

    [Fact]
    public async Task Mutual_tls_must_fail_on_the_server_when_the_client_certificate_comes_from_a_foreign_ca()
    {
        using var foreign = new Pki(clusterName: "test"); // same names, other keys
        using var aggregator = _pki.Trust(_pki.Issue(NodeIdentity.AggregatorRole, "agg1"));
        using var impostor = foreign.Trust(foreign.Issue(NodeIdentity.WorkerRole, "w1"));
        var (server, client) = await Handshake(aggregator, impostor);
        Assert.NotNull(server.Error);
        Assert.Equal(TrustReasons.ForeignCa, server.Reason);
        Assert.Null(server.Peer);
        Assert.Null(server.Received);
        // The client learns it at the handshake (TLS 1.2) or at its first read (TLS 1.3), but never gets an answer.
        Assert.NotNull(client.Error);
        Assert.Null(client.Received);
    }

    [Fact]
    public async Task Mutual_tls_must_fail_on_the_client_when_the_server_certificate_comes_from_a_foreign_ca()
    {
        using var foreign = new Pki(clusterName: "test");
        using var impostor = foreign.Trust(foreign.Issue(NodeIdentity.AggregatorRole, "agg1"));
        using var worker = _pki.Trust(_pki.Issue(NodeIdentity.WorkerRole, "w1"));
        var (server, client) = await Handshake(impostor, worker);
        Assert.NotNull(client.Error);
        Assert.Equal(TrustReasons.ForeignCa, client.Reason);
        Assert.Null(server.Received);
    }

    [Fact]
    public async Task Mutual_tls_must_fail_on_the_server_when_the_client_presents_no_certificate()
    {
        using var aggregator = _pki.Trust(_pki.Issue(NodeIdentity.AggregatorRole, "agg1"));
        using var worker = _pki.Trust(_pki.Issue(NodeIdentity.WorkerRole, "w1"));
        var (server, client) = await Handshake(aggregator, worker, clientPresents: false);
        Assert.NotNull(server.Error);
        Assert.Equal(TrustReasons.NoCertificate, server.Reason);
        Assert.Null(client.Received);
    }
}
