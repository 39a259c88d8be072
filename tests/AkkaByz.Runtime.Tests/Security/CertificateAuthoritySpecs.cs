using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

public sealed class CertificateAuthoritySpecs : IDisposable
{
    private readonly Pki _pki = new("specs");

    public void Dispose() => _pki.Dispose();

    private static UnixFileMode Mode(string path) => OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException() : File.GetUnixFileMode(path);

    [Fact]
    public void Init_must_write_a_p256_self_signed_ca_with_the_required_extensions()
    {
        using var ca = _pki.LoadAuthority();
        Assert.Equal("CN=AkkaByz cluster CA specs, O=AkkaByz", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        using (var key = ca.GetECDsaPublicKey())
            Assert.Equal(256, key!.KeySize);
        var basic = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(basic is { CertificateAuthority: true, HasPathLengthConstraint: true, PathLengthConstraint: 0, Critical: true });
        var usage = Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.True(usage.Critical);
        Assert.Single(ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.InRange((ca.NotAfter - ca.NotBefore).TotalDays, 364.99, 365.01);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(_pki.Ca.KeyPath));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(_pki.Ca.CertificatePath));
    }

    [Fact]
    public void Key_files_must_have_mode_0600_and_a_new_ca_folder_0700()
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(_pki.Ca.KeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode(_pki.CaDir));
        var issued = _pki.Issue(NodeIdentity.WorkerRole, "w1");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(issued.PfxPath));

        // Replacing a file with a looser mode does not keep that mode.
        File.SetUnixFileMode(issued.PfxPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var again = _pki.Issue(NodeIdentity.WorkerRole, "w1");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(again.PfxPath));
        File.SetUnixFileMode(_pki.Ca.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        CertificateAuthority.Init(_pki.CaDir, "specs", TimeSpan.FromDays(1), force: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(_pki.Ca.KeyPath));
        Assert.Empty(Directory.GetFiles(_pki.CaDir, "*.tmp"));
    }

    [Fact]
    public void Init_must_refuse_to_overwrite_a_ca_without_force()
    {
        var before = File.ReadAllText(_pki.Ca.KeyPath);
        var e = Assert.Throws<SettingsException>(() => CertificateAuthority.Init(_pki.CaDir, "specs", TimeSpan.FromDays(365)));
        Assert.Contains(_pki.Ca.KeyPath, e.Message);
        Assert.Contains("force", e.Message);
        Assert.Equal(before, File.ReadAllText(_pki.Ca.KeyPath));

        // With force: a new CA, and the old CA's certificates are no longer accepted.
        var old = _pki.Issue(NodeIdentity.WorkerRole, "w1");
        CertificateAuthority.Init(_pki.CaDir, "specs", TimeSpan.FromDays(365), force: true);
        Assert.NotEqual(before, File.ReadAllText(_pki.Ca.KeyPath));
        var e2 = Assert.Throws<SettingsException>(() => _pki.Trust(old));
        Assert.Contains(TrustReasons.ForeignCa, e2.Message);
    }

    [Fact]
    public void Issue_must_write_a_leaf_with_identity_hosts_usages_and_the_authority_key_id()
    {
        var before = DateTimeOffset.UtcNow;
        var issued = _pki.Issue(NodeIdentity.WorkerRole, "w-7", TimeSpan.FromDays(90), hosts: ["node7.example", "10.1.2.3", "::1"]);
        Assert.Equal(new NodeIdentity("worker", "w-7"), issued.Identity);
        Assert.Equal(Path.Combine(_pki.Dir("nodes"), "w-7.pfx"), issued.PfxPath);
        Assert.Equal(Path.Combine(_pki.Dir("nodes"), "w-7.crt"), issued.CertificatePath);
        using var leaf = _pki.LoadCertificate(issued);
        using var ca = _pki.LoadAuthority();

        Assert.Equal("CN=w-7, OU=worker, O=AkkaByz", leaf.Subject);
        Assert.Equal(ca.Subject, leaf.Issuer);
        using (var key = leaf.GetECDsaPublicKey())
            Assert.Equal(256, key!.KeySize);
        var san = Assert.Single(leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["akkabyz://worker/w-7"], ClusterCertificateValidator.ReadSanUris(san.RawData));
        Assert.Equal(["node7.example"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.1.2.3"), IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        var eku = Assert.Single(leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal([ClusterCertificateValidator.ServerAuthOid, ClusterCertificateValidator.ClientAuthOid],
            eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        var usage = Assert.Single(leaf.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(usage is { KeyUsages: X509KeyUsageFlags.DigitalSignature, Critical: true });
        Assert.False(Assert.Single(leaf.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        var aki = Assert.Single(leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        var ski = Assert.Single(ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.Equal(ski.SubjectKeyIdentifierBytes.ToArray(), aki.KeyIdentifier!.Value.ToArray());
        Assert.Equal(16, leaf.SerialNumberBytes.Length);

        Assert.InRange(issued.NotBefore, before.AddMinutes(-5).AddSeconds(-2), before.AddMinutes(-5).AddSeconds(2));
        Assert.Equal(issued.NotBefore + TimeSpan.FromDays(90), issued.NotAfter);
        Assert.Equal(issued.NotAfter.UtcDateTime, leaf.NotAfter.ToUniversalTime());
        Assert.False(issued.ClampedToAuthority);
    }

    [Fact]
    public void Issue_must_default_the_hosts_to_localhost_and_127_0_0_1()
    {
        var issued = _pki.Issue(NodeIdentity.AggregatorRole, "a1");
        using var leaf = _pki.LoadCertificate(issued);
        var san = Assert.Single(leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.Equal(["localhost", "127.0.0.1"], issued.Hosts);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("s3cret")]
    public void Issue_must_write_a_pfx_with_the_key_and_the_ca_that_opens_with_its_password(string? password)
    {
        var issued = _pki.Issue(NodeIdentity.WorkerRole, "w1", password: password);
        var bag = X509CertificateLoader.LoadPkcs12CollectionFromFile(issued.PfxPath, password);
        try
        {
            Assert.Equal(2, bag.Count);
            using var ca = _pki.LoadAuthority();
            Assert.Contains(bag, c => c.Thumbprint == ca.Thumbprint && !c.HasPrivateKey);
            Assert.Contains(bag, c => c.Subject == "CN=w1, OU=worker, O=AkkaByz" && c.HasPrivateKey);
        }
        finally
        {
            foreach (var c in bag) c.Dispose();
        }
        using var trust = _pki.Trust(issued, password);
        Assert.Equal(issued.Identity, trust.Self);
        // A PFX without password opens with null and with "".
        if (string.IsNullOrEmpty(password))
        {
            using var other = _pki.Trust(issued, password is null ? "" : null);
            Assert.Equal(issued.Identity, other.Self);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("W1")]
    [InlineData("-w1")]
    [InlineData(".w1")]
    [InlineData("w 1")]
    [InlineData("w/1")]
    [InlineData("w:1")]
    [InlineData("wörker")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public void Issue_must_refuse_a_bad_name_with_a_clear_message(string name)
    {
        var e = Assert.Throws<SettingsException>(() => _pki.Issue(NodeIdentity.WorkerRole, name));
        Assert.Contains($"node name '{name}'", e.Message);
        Assert.Contains("a-z 0-9", e.Message);
        Assert.False(NodeIdentity.IsValidName(name));
        Assert.False(Directory.Exists(_pki.Dir("nodes")));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("w1")]
    [InlineData("agg-1.eu_west")]
    [InlineData("a12345678901234567890123456789012345678901234567890123456789012")]
    public void Names_must_accept_lowercase_letters_digits_and_dot_dash_underscore(string name) => Assert.True(NodeIdentity.IsValidName(name));

    [Theory]
    [InlineData("boss")]
    [InlineData("Worker")]
    [InlineData("")]
    public void Issue_must_refuse_an_unknown_role_with_a_clear_message(string role)
    {
        var e = Assert.Throws<SettingsException>(() => _pki.Issue(role, "w1"));
        Assert.Contains($"role '{role}'", e.Message);
        Assert.Contains("aggregator or worker", e.Message);
    }

    [Fact]
    public void Issue_must_refuse_a_bad_host()
    {
        var e = Assert.Throws<SettingsException>(() => _pki.Issue(NodeIdentity.WorkerRole, "w1", hosts: ["not a host"]));
        Assert.Contains("host 'not a host'", e.Message);
    }

    [Fact]
    public void Issue_must_name_the_missing_or_bad_ca_file()
    {
        var nowhere = _pki.Dir("no-ca");
        var e = Assert.Throws<SettingsException>(() => CertificateAuthority.Issue(nowhere, "worker", "w1", _pki.Dir("out"), TimeSpan.FromDays(1)));
        Assert.Contains(nowhere, e.Message);

        var keyless = _pki.Dir("keyless");
        Directory.CreateDirectory(keyless);
        File.Copy(_pki.Ca.CertificatePath, Path.Combine(keyless, "ca.crt"));
        e = Assert.Throws<SettingsException>(() => CertificateAuthority.Issue(keyless, "worker", "w1", _pki.Dir("out"), TimeSpan.FromDays(1)));
        Assert.Contains(Path.Combine(keyless, "ca.key"), e.Message);
        Assert.Contains("no such file", e.Message);

        File.WriteAllText(Path.Combine(keyless, "ca.key"), "garbage");
        e = Assert.Throws<SettingsException>(() => CertificateAuthority.Issue(keyless, "worker", "w1", _pki.Dir("out"), TimeSpan.FromDays(1)));
        Assert.Contains(Path.Combine(keyless, "ca.key"), e.Message);

        using var other = new Pki();
        File.Copy(other.Ca.KeyPath, Path.Combine(keyless, "ca.key"), overwrite: true);
        e = Assert.Throws<SettingsException>(() => CertificateAuthority.Issue(keyless, "worker", "w1", _pki.Dir("out"), TimeSpan.FromDays(1)));
        Assert.Contains("does not belong to", e.Message);

        var certless = _pki.Dir("certless");
        Directory.CreateDirectory(certless);
        File.Copy(_pki.Ca.KeyPath, Path.Combine(certless, "ca.key"));
        e = Assert.Throws<SettingsException>(() => CertificateAuthority.Issue(certless, "worker", "w1", _pki.Dir("out"), TimeSpan.FromDays(1)));
        Assert.Contains(Path.Combine(certless, "ca.crt"), e.Message);
        Assert.False(Directory.Exists(_pki.Dir("out")));
    }

    [Fact]
    public void Issue_must_cut_the_validity_at_the_ca_expiry_and_refuse_after_it()
    {
        using var shortLived = new Pki(validity: TimeSpan.FromDays(10));
        using var ca = shortLived.LoadAuthority();
        var issued = shortLived.Issue(NodeIdentity.WorkerRole, "w1", TimeSpan.FromDays(90));
        Assert.True(issued.ClampedToAuthority);
        Assert.Equal(ca.NotAfter.ToUniversalTime(), issued.NotAfter.UtcDateTime);

        var e = Assert.Throws<SettingsException>(() => shortLived.Issue(NodeIdentity.WorkerRole, "w2", TimeSpan.FromDays(1), DateTimeOffset.UtcNow.AddDays(11)));
        Assert.Contains("expired", e.Message);
        Assert.Contains(shortLived.Ca.CertificatePath, e.Message);
    }

    [Fact]
    public void Init_and_issue_must_refuse_a_non_positive_validity()
    {
        Assert.Throws<SettingsException>(() => CertificateAuthority.Init(_pki.Dir("x"), "x", TimeSpan.Zero));
        Assert.Throws<SettingsException>(() => _pki.Issue(NodeIdentity.WorkerRole, "w1", TimeSpan.FromDays(-1)));
        Assert.Throws<SettingsException>(() => CertificateAuthority.Init(_pki.Dir("y"), "", TimeSpan.FromDays(1)));
    }
}
