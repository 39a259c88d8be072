using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Security;

/// <summary>The files of a cluster CA written by <see cref="CertificateAuthority.Init"/>.</summary>
/// <param name="CertificatePath"><c>ca.crt</c> (PEM): every node's trust anchor.</param>
/// <param name="KeyPath"><c>ca.key</c> (PEM PKCS#8, mode 0600): issues identities; keep it off the nodes.</param>
public sealed record CertificateAuthorityFiles(string CertificatePath, string KeyPath);

/// <summary>A node certificate written by <see cref="CertificateAuthority.Issue"/>.</summary>
/// <param name="PfxPath"><c>NAME.pfx</c>: certificate, private key and the CA certificate (mode 0600).</param>
/// <param name="CertificatePath"><c>NAME.crt</c> (PEM): the certificate alone.</param>
/// <param name="Identity">The identity written in it.</param>
/// <param name="NotAfter">End of its validity.</param>
public sealed record IssuedNodeCertificate(string PfxPath, string CertificatePath, NodeIdentity Identity, DateTimeOffset NotAfter)
{
    /// <summary>Start of its validity.</summary>
    public DateTimeOffset NotBefore { get; init; }

    /// <summary>True when the requested validity ran past the CA's expiry and was cut to it.</summary>
    public bool ClampedToAuthority { get; init; }

    /// <summary>The DNS names and IP addresses written in the SAN, as given.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
}

/// <summary>
/// The cluster certificate authority: <see cref="Init"/> makes a self-signed ECDSA P-256 CA once per cluster,
/// <see cref="Issue"/> signs one certificate per node with its role and name (the identity <see cref="ClusterTrust"/>
/// checks). Errors are <see cref="SettingsException"/>s naming the file or the bad value.
/// </summary>
public static class CertificateAuthority
{
    /// <summary>File name of the CA certificate in a CA folder.</summary>
    public const string CertificateFileName = "ca.crt";

    /// <summary>File name of the CA private key in a CA folder.</summary>
    public const string KeyFileName = "ca.key";

    /// <summary>The O= of every subject.</summary>
    public const string Organization = "AkkaByz";

    /// <summary>Prefix of the CA's CN; the cluster name follows.</summary>
    public const string AuthorityNamePrefix = "AkkaByz cluster CA ";

    /// <summary>Longest cluster name (the CA's CN stays within X.509's 64 characters).</summary>
    public const int MaxClusterNameLength = 64 - 19;

    /// <summary>Certificates start this long before they are made, so that nodes with slightly late clocks accept them.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Hosts written into a node certificate when none are given.</summary>
    public static readonly IReadOnlyList<string> DefaultHosts = ["localhost", "127.0.0.1"];

    private static readonly TimeSpan MaxValidity = TimeSpan.FromDays(100 * 365);

    /// <summary>
    /// Creates the cluster CA in <paramref name="outDir"/>: <c>ca.crt</c> (PEM) and <c>ca.key</c> (PEM PKCS#8,
    /// mode 0600; the folder is created with mode 0700 when new). Refuses to replace an existing <c>ca.key</c>
    /// unless <paramref name="force"/>: a new CA orphans every certificate the old one issued.
    /// </summary>
    public static CertificateAuthorityFiles Init(string outDir, string clusterName, TimeSpan validity, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(clusterName);
        if (clusterName.Length == 0 || clusterName.Length > MaxClusterNameLength || clusterName.Trim() != clusterName
            || clusterName.Any(char.IsControl))
            throw new SettingsException($"cluster name '{clusterName}': 1..{MaxClusterNameLength} characters, without control characters or surrounding spaces.");
        CheckValidity(validity);
        var certificatePath = Path.Combine(outDir, CertificateFileName);
        var keyPath = Path.Combine(outDir, KeyFileName);
        if (File.Exists(keyPath) && !force)
            throw new SettingsException($"{keyPath} already exists: a new CA would orphan every certificate the old one issued (--force replaces it).");

        CertificateFiles.CreatePrivateDirectory(outDir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The builder encodes its RDNs last-added first: O, then CN, shown by .NET as "CN=..., O=AkkaByz".
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(AuthorityNamePrefix + clusterName);
        subject.AddOrganizationName(Organization);
        var name = subject.Build();
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var notBefore = Truncate(DateTimeOffset.UtcNow - ClockSkew);
        using var ca = request.Create(name, X509SignatureGenerator.CreateForECDsa(key), notBefore, notBefore + validity, RandomSerial());

        CertificateFiles.WriteSecret(keyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"));
        CertificateFiles.WritePublic(certificatePath, ca.ExportCertificatePem() + "\n");
        return new CertificateAuthorityFiles(certificatePath, keyPath);
    }

    /// <summary>
    /// Issues a node certificate signed by the CA in <paramref name="caDir"/>: ECDSA P-256, subject
    /// <c>CN=NAME, OU=ROLE, O=AkkaByz</c>, SAN URI <c>akkabyz://ROLE/NAME</c> plus <paramref name="hosts"/> (DNS
    /// names and IP addresses; default localhost and 127.0.0.1), EKU serverAuth + clientAuth. It is valid from
    /// <paramref name="notBefore"/> (default: 5 minutes ago) for <paramref name="validity"/>, cut to the CA's
    /// expiry. Writes <c>NAME.pfx</c> (key and CA certificate included, mode 0600; <paramref name="password"/> may be
    /// null or empty) and <c>NAME.crt</c> (PEM) into <paramref name="outDir"/>, replacing older ones (rotation).
    /// </summary>
    public static IssuedNodeCertificate Issue(string caDir, string role, string name, string outDir, TimeSpan validity,
        IReadOnlyList<string>? hosts = null, string? password = null, DateTimeOffset? notBefore = null)
    {
        ArgumentNullException.ThrowIfNull(caDir);
        ArgumentNullException.ThrowIfNull(outDir);
        if (!NodeIdentity.IsKnownRole(role))
            throw new SettingsException($"role '{role}': must be {NodeIdentity.AggregatorRole} or {NodeIdentity.WorkerRole}.");
        if (!NodeIdentity.IsValidName(name))
            throw new SettingsException($"node name '{name}': 1..{NodeIdentity.MaxNameLength} characters of a-z 0-9 . _ -, starting with a letter or digit.");
        CheckValidity(validity);
        var identity = new NodeIdentity(role, name);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(identity.Uri));
        var hostList = hosts is { Count: > 0 } ? hosts : DefaultHosts;
        foreach (var host in hostList)
        {
            if (IPAddress.TryParse(host, out var address)) san.AddIpAddress(address);
            else if (Uri.CheckHostName(host) == UriHostNameType.Dns) san.AddDnsName(host);
            else throw new SettingsException($"host '{host}': neither a DNS name nor an IP address.");
        }

        var (authority, authorityKey, certificatePath) = LoadAuthority(caDir);
        using (authority)
        using (authorityKey)
        {
            var start = Truncate(notBefore ?? DateTimeOffset.UtcNow - ClockSkew);
            var authorityEnd = new DateTimeOffset(authority.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            if (start >= authorityEnd)
                throw new SettingsException($"{certificatePath}: the CA expired on {authorityEnd:u}; make a new CA (certs init --force) and issue every node again.");
            var end = start + validity;
            var clamped = end > authorityEnd;
            if (clamped) end = authorityEnd;

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var subject = new X500DistinguishedNameBuilder();
            subject.AddCommonName(name);
            subject.AddOrganizationalUnitName(role);
            subject.AddOrganizationName(Organization);
            var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid(ClusterCertificateValidator.ServerAuthOid), new Oid(ClusterCertificateValidator.ClientAuthOid)], critical: false));
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));

            using var issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), start, end, RandomSerial());
            using var withKey = issued.CopyWithPrivateKey(key);
            var bag = new X509Certificate2Collection { withKey, authority };
            var pfx = bag.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, string.IsNullOrEmpty(password) ? null : password);

            CertificateFiles.CreatePrivateDirectory(outDir);
            var pfxPath = Path.Combine(outDir, name + ".pfx");
            var crtPath = Path.Combine(outDir, name + ".crt");
            CertificateFiles.WriteSecret(pfxPath, pfx);
            CertificateFiles.WritePublic(crtPath, issued.ExportCertificatePem() + "\n");
            return new IssuedNodeCertificate(pfxPath, crtPath, identity, new DateTimeOffset(issued.NotAfter.ToUniversalTime(), TimeSpan.Zero))
            {
                NotBefore = new DateTimeOffset(issued.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                ClampedToAuthority = clamped,
                Hosts = hostList.ToArray(),
            };
        }
    }

    /// <summary>Loads and checks <c>ca.crt</c> and <c>ca.key</c> from a CA folder.</summary>
    private static (X509Certificate2 Authority, ECDsa Key, string CertificatePath) LoadAuthority(string caDir)
    {
        var certificatePath = Path.Combine(caDir, CertificateFileName);
        var keyPath = Path.Combine(caDir, KeyFileName);
        if (!Directory.Exists(caDir))
            throw new SettingsException($"{caDir}: no such CA folder (make one with: akkabyz certs init --out {caDir}).");
        var authority = CertificateFiles.LoadCertificate(certificatePath, "the cluster CA certificate");
        try
        {
            if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
                throw new SettingsException($"{certificatePath}: not a CA certificate (no basicConstraints CA:TRUE).");
            if (authority.GetECDsaPublicKey() is not { } publicKey)
                throw new SettingsException($"{certificatePath}: the CA key is not ECDSA (certs issue signs with the ECDSA P-256 key certs init makes).");
            using (publicKey)
            {
                string pem;
                try
                {
                    pem = File.ReadAllText(keyPath);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    throw new SettingsException($"{keyPath}: no such file (the CA private key; issuing needs it).", e);
                }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException)
                {
                    throw new SettingsException($"{keyPath}: cannot read the CA private key: {CertificateFiles.OneLine(e.Message)}", e);
                }
                var key = ECDsa.Create();
                try
                {
                    key.ImportFromPem(pem);
                }
                catch (Exception e) when (e is ArgumentException or CryptographicException)
                {
                    key.Dispose();
                    throw new SettingsException($"{keyPath}: not an unencrypted PEM ECDSA private key: {CertificateFiles.OneLine(e.Message)}", e);
                }
                if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(publicKey.ExportSubjectPublicKeyInfo()))
                {
                    key.Dispose();
                    throw new SettingsException($"{keyPath}: does not belong to {certificatePath} (a key from another CA?).");
                }
                return (authority, key, certificatePath);
            }
        }
        catch
        {
            authority.Dispose();
            throw;
        }
    }

    private static void CheckValidity(TimeSpan validity)
    {
        if (validity <= TimeSpan.Zero || validity > MaxValidity)
            throw new SettingsException($"validity {validity.TotalDays:0.##} days: must be more than 0 and at most {MaxValidity.TotalDays:0} days.");
    }

    /// <summary>16 random bytes, positive and of full length in DER (top bit clear, second bit set).</summary>
    private static byte[] RandomSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    // X.509 times have whole seconds; truncating keeps the returned times equal to the written ones.
    private static DateTimeOffset Truncate(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
