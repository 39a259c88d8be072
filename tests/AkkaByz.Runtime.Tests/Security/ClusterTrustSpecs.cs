using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

public sealed class ClusterTrustSpecs : IDisposable
{
    private readonly Pki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static (bool Ok, NodeIdentity? Identity, string Reason, string Detail) Identify(ClusterTrust trust, X509Certificate? peer)
    {
        var ok = trust.TryIdentify(peer, out var identity, out var reason, out var detail);
        return (ok, identity, reason, detail);
    }

    private static void AssertRefused(ClusterTrust trust, X509Certificate? peer, string expected)
    {
        var (ok, identity, reason, detail) = Identify(trust, peer);
        Assert.False(ok, $"accepted: {detail}");
        Assert.Null(identity);
        Assert.Equal(expected, reason);
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.DoesNotContain('\n', detail);
        // The short overload agrees.
        Assert.False(trust.TryIdentify(peer, out _, out var again));
        Assert.Equal(expected, again);
    }

    [Fact]
    public void Trust_must_load_its_own_certificate_and_accept_it_with_the_right_identity()
    {
        var issued = _pki.Issue(NodeIdentity.WorkerRole, "w1");
        using var trust = _pki.Trust(issued);
        Assert.Equal(new NodeIdentity("worker", "w1"), trust.Self);
        Assert.True(trust.Self.IsWorker);
        Assert.True(trust.Certificate.HasPrivateKey);
        Assert.False(trust.Authority.HasPrivateKey);
        using var expectedAuthority = _pki.LoadAuthority();
        Assert.Equal(expectedAuthority.Thumbprint, trust.Authority.Thumbprint);

        var (ok, identity, reason, _) = Identify(trust, trust.Certificate);
        Assert.True(ok);
        Assert.Equal(new NodeIdentity("worker", "w1"), identity);
        Assert.Equal(TrustReasons.Accepted, reason);
    }

    [Fact]
    public void Trust_must_accept_a_peer_of_the_same_ca_also_as_a_plain_X509Certificate()
    {
        using var trust = _pki.Trust();
        var peer = _pki.Issue(NodeIdentity.AggregatorRole, "agg-2.b_c");
        using var certificate = _pki.LoadCertificate(peer);
        using var plain = new X509Certificate(certificate); // the TLS callback's parameter type
        foreach (var c in new X509Certificate[] { certificate, plain })
        {
            var (ok, identity, _, detail) = Identify(trust, c);
            Assert.True(ok, detail);
            Assert.Equal(new NodeIdentity("aggregator", "agg-2.b_c"), identity);
            Assert.True(identity!.IsAggregator);
        }
    }

    [Fact]
    public void Trust_must_refuse_a_missing_certificate()
    {
        using var trust = _pki.Trust();
        AssertRefused(trust, null, TrustReasons.NoCertificate);
    }

    [Fact]
    public void Trust_must_refuse_a_certificate_from_a_foreign_ca()
    {
        // Same cluster name (so the same CA subject), same role and node name: only the keys differ.
        using var foreign = new Pki(clusterName: "test");
        var impostor = foreign.Issue(NodeIdentity.WorkerRole, "w1");
        using var trust = _pki.Trust(_pki.Issue(NodeIdentity.WorkerRole, "w1"));
        using var certificate = foreign.LoadCertificate(impostor);
        Assert.Equal(trust.Authority.Subject, certificate.Issuer);
        AssertRefused(trust, certificate, TrustReasons.ForeignCa);
        // ReadIdentity still tells what it claims (for logs).
        Assert.Equal(new NodeIdentity("worker", "w1"), ClusterTrust.ReadIdentity(certificate));
    }

    [Fact]
    public void Trust_must_refuse_a_self_signed_certificate_with_the_ca_subject()
    {
        using var trust = _pki.Trust();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(trust.Authority.SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(Pki.NodeUsage());
        request.CertificateExtensions.Add(Pki.San("akkabyz://aggregator/a1"));
        using var impostor = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        AssertRefused(trust, impostor, TrustReasons.ForeignCa);

        // And a node certificate "issued" by that impostor, naming the real CA as issuer.
        var leaf = new CertificateRequest("CN=a1, OU=aggregator, O=AkkaByz", key, HashAlgorithmName.SHA256);
        leaf.CertificateExtensions.Add(Pki.NodeUsage());
        leaf.CertificateExtensions.Add(Pki.San("akkabyz://aggregator/a1"));
        using var forged = leaf.Create(impostor, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), [0x41, 2, 3, 4, 5, 6, 7, 8]);
        AssertRefused(trust, forged, TrustReasons.ForeignCa);
    }

    [Fact]
    public void Trust_must_refuse_an_expired_certificate()
    {
        using var trust = _pki.Trust();
        var old = _pki.Issue(NodeIdentity.WorkerRole, "old", TimeSpan.FromDays(10), DateTimeOffset.UtcNow.AddDays(-200));
        using var certificate = _pki.LoadCertificate(old);
        AssertRefused(trust, certificate, TrustReasons.Expired);
    }

    [Fact]
    public void Trust_must_refuse_a_certificate_that_is_not_yet_valid()
    {
        using var trust = _pki.Trust();
        var early = _pki.Issue(NodeIdentity.WorkerRole, "early", TimeSpan.FromDays(10), DateTimeOffset.UtcNow.AddDays(2));
        using var certificate = _pki.LoadCertificate(early);
        AssertRefused(trust, certificate, TrustReasons.NotYetValid);
    }

    [Fact]
    public void Trust_must_recheck_the_validity_window_of_a_cached_verdict()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var self = _pki.Issue(NodeIdentity.AggregatorRole, "a1", TimeSpan.FromDays(30));
        using var trust = ClusterTrust.Load(_pki.Ca.CertificatePath, self.PfxPath, null, clock);
        var peer = _pki.Issue(NodeIdentity.WorkerRole, "w1", TimeSpan.FromDays(10));
        using var certificate = _pki.LoadCertificate(peer);
        Assert.True(trust.TryIdentify(certificate, out _, out _));
        clock.Now = peer.NotAfter.AddSeconds(1);
        AssertRefused(trust, certificate, TrustReasons.Expired);
        clock.Now = peer.NotAfter.AddDays(-1);
        Assert.True(trust.TryIdentify(certificate, out _, out _));
        clock.Now = peer.NotBefore.AddSeconds(-1);
        AssertRefused(trust, certificate, TrustReasons.NotYetValid);
    }

    [Fact]
    public void Trust_must_refuse_a_certificate_without_the_san_identity()
    {
        using var trust = _pki.Trust();
        using var bare = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.NodeUsage());
        AssertRefused(trust, bare, TrustReasons.NoIdentity);
        using var dnsOnly = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.NodeUsage(), Pki.San());
        AssertRefused(trust, dnsOnly, TrustReasons.NoIdentity);
        using var otherScheme = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.NodeUsage(), Pki.San("https://worker/w1"));
        AssertRefused(trust, otherScheme, TrustReasons.NoIdentity);
        using var two = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.NodeUsage(), Pki.San("akkabyz://worker/w1", "akkabyz://aggregator/w1"));
        AssertRefused(trust, two, TrustReasons.NoIdentity);
        Assert.Null(ClusterTrust.ReadIdentity(bare));
        Assert.Null(ClusterTrust.ReadIdentity(two));
    }

    [Fact]
    public void Trust_must_refuse_a_subject_that_disagrees_with_the_san_identity()
    {
        using var trust = _pki.Trust();
        using var otherName = _pki.Craft("CN=w2, OU=worker, O=AkkaByz", Pki.NodeUsage(), Pki.San("akkabyz://worker/w1"));
        AssertRefused(trust, otherName, TrustReasons.NoIdentity);
        using var otherRole = _pki.Craft("CN=w1, OU=aggregator, O=AkkaByz", Pki.NodeUsage(), Pki.San("akkabyz://worker/w1"));
        AssertRefused(trust, otherRole, TrustReasons.NoIdentity);
        using var noUnit = _pki.Craft("CN=w1, O=AkkaByz", Pki.NodeUsage(), Pki.San("akkabyz://worker/w1"));
        AssertRefused(trust, noUnit, TrustReasons.NoIdentity);
    }

    [Fact]
    public void Trust_must_refuse_an_unknown_role()
    {
        using var trust = _pki.Trust();
        using var boss = _pki.Craft("CN=x, OU=boss, O=AkkaByz", Pki.NodeUsage(), Pki.San("akkabyz://boss/x"));
        AssertRefused(trust, boss, TrustReasons.BadRole);
        Assert.Equal(new NodeIdentity("boss", "x"), ClusterTrust.ReadIdentity(boss));
    }

    [Fact]
    public void Trust_must_refuse_certificates_that_are_not_tls_node_certificates()
    {
        using var trust = _pki.Trust();
        using var noEku = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.San("akkabyz://worker/w1"));
        AssertRefused(trust, noEku, TrustReasons.BadUsage);
        using var serverOnly = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.San("akkabyz://worker/w1"),
            new X509EnhancedKeyUsageExtension([new Oid(ClusterCertificateValidator.ServerAuthOid)], false));
        AssertRefused(trust, serverOnly, TrustReasons.BadUsage);
        using var encipherOnly = _pki.Craft("CN=w1, OU=worker, O=AkkaByz", Pki.San("akkabyz://worker/w1"), Pki.NodeUsage(),
            new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, true));
        AssertRefused(trust, encipherOnly, TrustReasons.BadUsage);
        // The CA's own certificate is no node's.
        AssertRefused(trust, trust.Authority, TrustReasons.BadUsage);
    }

    [Fact]
    public void Trust_must_be_usable_from_many_threads()
    {
        using var trust = _pki.Trust();
        using var foreign = new Pki();
        var good = Enumerable.Range(0, 4).Select(i => _pki.LoadCertificate(_pki.Issue(NodeIdentity.WorkerRole, $"w{i}"))).ToArray();
        using var bad = foreign.LoadCertificate(foreign.Issue(NodeIdentity.WorkerRole, "w0"));
        try
        {
            var failures = 0;
            Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                var expectGood = i % 5 != 0;
                var ok = trust.TryIdentify(expectGood ? good[i % 4] : bad, out var identity, out var reason);
                if (ok != expectGood || (ok && identity!.Name != $"w{i % 4}") || (!ok && reason != TrustReasons.ForeignCa))
                    Interlocked.Increment(ref failures);
            });
            Assert.Equal(0, failures);
        }
        finally
        {
            foreach (var c in good) c.Dispose();
        }
    }

    [Fact]
    public void Load_must_refuse_a_node_certificate_from_another_ca()
    {
        using var foreign = new Pki();
        var theirs = foreign.Issue(NodeIdentity.WorkerRole, "w1");
        var e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(_pki.Ca.CertificatePath, theirs.PfxPath, null));
        Assert.Contains(theirs.PfxPath, e.Message);
        Assert.Contains(TrustReasons.ForeignCa, e.Message);
    }

    [Fact]
    public void Load_must_name_the_file_and_the_problem()
    {
        var issued = _pki.Issue(NodeIdentity.WorkerRole, "w1", password: "secret");
        var missing = Path.Combine(_pki.Root, "nope.pfx");
        var e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(_pki.Ca.CertificatePath, missing, null));
        Assert.Contains(missing, e.Message);
        Assert.Contains("no such file", e.Message);

        e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(_pki.Ca.CertificatePath, issued.PfxPath, "wrong"));
        Assert.Contains(issued.PfxPath, e.Message);
        Assert.Contains("password", e.Message);

        e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(_pki.Ca.CertificatePath, issued.CertificatePath, null));
        Assert.Contains(issued.CertificatePath, e.Message);

        e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(issued.CertificatePath, issued.PfxPath, "secret"));
        Assert.Contains(issued.CertificatePath, e.Message);
        Assert.Contains("not a CA certificate", e.Message);

        e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(_pki.Ca.KeyPath, issued.PfxPath, "secret"));
        Assert.Contains(_pki.Ca.KeyPath, e.Message);

        var expired = _pki.Issue(NodeIdentity.WorkerRole, "old", TimeSpan.FromDays(10), DateTimeOffset.UtcNow.AddDays(-200));
        e = Assert.Throws<SettingsException>(() => ClusterTrust.Load(_pki.Ca.CertificatePath, expired.PfxPath, null));
        Assert.Contains(TrustReasons.Expired, e.Message);

        using var trust = ClusterTrust.Load(_pki.Ca.CertificatePath, issued.PfxPath, "secret");
        Assert.Equal("worker:w1", trust.Self.ToString());
    }

    [Fact]
    public void Load_must_read_the_ca_certificate_as_pem_or_der()
    {
        var issued = _pki.Issue(NodeIdentity.AggregatorRole, "a1");
        using var authority = _pki.LoadAuthority();
        var der = Path.Combine(_pki.Root, "ca.der");
        File.WriteAllBytes(der, authority.RawData);
        using var fromDer = ClusterTrust.Load(der, issued.PfxPath, null);
        using var fromPem = ClusterTrust.Load(_pki.Ca.CertificatePath, issued.PfxPath, "");
        Assert.Equal(fromDer.Authority.Thumbprint, fromPem.Authority.Thumbprint);
        Assert.Equal(fromDer.Self, fromPem.Self);
    }
}
