using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

/// <summary>
/// A cluster CA in a fresh temp folder (deleted on dispose), with helpers that issue node certificates through
/// <see cref="CertificateAuthority"/> and craft odd ones directly with <see cref="CertificateRequest"/>.
/// </summary>
internal sealed class Pki : IDisposable
{
    public Pki(string clusterName = "test", TimeSpan? validity = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "akkabyz-security-" + Guid.NewGuid().ToString("N"));
        CaDir = Path.Combine(Root, "ca");
        Ca = CertificateAuthority.Init(CaDir, clusterName, validity ?? TimeSpan.FromDays(365));
    }

    public string Root { get; }
    public string CaDir { get; }
    public CertificateAuthorityFiles Ca { get; }

    public string Dir(string name) => Path.Combine(Root, name);

    /// <summary>Issues through the CA under test into Root/nodes.</summary>
    public IssuedNodeCertificate Issue(string role, string name, TimeSpan? validity = null, DateTimeOffset? notBefore = null, string? password = null,
        IReadOnlyList<string>? hosts = null) =>
        CertificateAuthority.Issue(CaDir, role, name, Dir("nodes"), validity ?? TimeSpan.FromDays(30), hosts, password, notBefore);

    /// <summary>The trust of a node holding <paramref name="issued"/>.</summary>
    public ClusterTrust Trust(IssuedNodeCertificate issued, string? password = null) => ClusterTrust.Load(Ca.CertificatePath, issued.PfxPath, password);

    /// <summary>A trust of a fresh aggregator node of this CA.</summary>
    public ClusterTrust Trust() => Trust(Issue(NodeIdentity.AggregatorRole, "self-" + Guid.NewGuid().ToString("N")[..8]));

    public X509Certificate2 LoadCertificate(IssuedNodeCertificate issued) => X509CertificateLoader.LoadCertificateFromFile(issued.CertificatePath);

    public X509Certificate2 LoadAuthority() => X509CertificateLoader.LoadCertificateFromFile(Ca.CertificatePath);

    public ECDsa LoadAuthorityKey()
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Ca.KeyPath));
        return key;
    }

    /// <summary>
    /// A certificate signed by this CA's key with exactly the subject and extensions given (no defaults), valid from
    /// 5 minutes ago for a day.
    /// </summary>
    public X509Certificate2 Craft(string subject, params X509Extension[] extensions)
    {
        using var authority = LoadAuthority();
        using var authorityKey = LoadAuthorityKey();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        foreach (var e in extensions) request.CertificateExtensions.Add(e);
        var now = DateTimeOffset.UtcNow;
        return request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), now.AddMinutes(-5), now.AddDays(1),
            RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7F | 0x40) : b).ToArray());
    }

    public static X509Extension San(params string[] uris)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var u in uris) san.AddUri(new Uri(u));
        san.AddDnsName("localhost");
        return san.Build();
    }

    public static X509Extension NodeUsage() => new X509EnhancedKeyUsageExtension(
        [new Oid(ClusterCertificateValidator.ServerAuthOid), new Oid(ClusterCertificateValidator.ClientAuthOid)], false);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A clock that stands still until moved.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
