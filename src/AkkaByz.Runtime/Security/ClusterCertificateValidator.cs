using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Security;

/// <summary>
/// Validates certificates against the cluster CA alone (no system roots, no revocation, no downloads) and reads the
/// node identity they carry. <see cref="ClusterTrust"/> uses one for peers; on its own it checks a certificate file
/// (<c>akkabyz certs show --ca</c>). Thread-safe. The time-independent part of a verdict (chain, usage, identity)
/// is cached per certificate (by SHA-256 of its DER); the validity windows are checked on every call.
/// </summary>
public sealed class ClusterCertificateValidator : IDisposable
{
    /// <summary>EKU id-kp-serverAuth.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>EKU id-kp-clientAuth.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private const string SubjectAltNameOid = "2.5.29.17";
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationalUnitOid = "2.5.4.11";
    private const int MaxCached = 1024;

    private static readonly X509ChainStatusFlags ForeignFlags = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain
        | X509ChainStatusFlags.NotSignatureValid | X509ChainStatusFlags.Cyclic | X509ChainStatusFlags.ExplicitDistrust;

    private static readonly X509ChainStatusFlags TimeFlags = X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested
        | X509ChainStatusFlags.CtlNotTimeValid;

    private readonly ConcurrentDictionary<string, Verdict> _cache = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _authorityNotBefore;
    private readonly DateTimeOffset _authorityNotAfter;
    private volatile bool _disposed;

    /// <summary>A validator trusting exactly <paramref name="authority"/>, which it owns (and disposes).</summary>
    /// <param name="authority">The cluster CA certificate (its private key, if any, is not used).</param>
    /// <param name="time">The clock of the validity checks (tests); default the system clock.</param>
    public ClusterCertificateValidator(X509Certificate2 authority, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(authority);
        Authority = authority;
        _time = time ?? TimeProvider.System;
        _authorityNotBefore = Utc(authority.NotBefore);
        _authorityNotAfter = Utc(authority.NotAfter);
    }

    /// <summary>The cluster CA certificate.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>
    /// Loads the cluster CA certificate (PEM or DER; a folder means its <c>ca.crt</c>) and checks that it is a CA
    /// certificate. Throws <see cref="SettingsException"/> naming the file.
    /// </summary>
    public static ClusterCertificateValidator Load(string caCertificatePath, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(caCertificatePath);
        var path = Directory.Exists(caCertificatePath) ? Path.Combine(caCertificatePath, CertificateAuthority.CertificateFileName) : caCertificatePath;
        var authority = CertificateFiles.LoadCertificate(path, "the cluster CA certificate");
        if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            var subject = authority.Subject;
            authority.Dispose();
            throw new SettingsException($"{path}: {subject} is not a CA certificate (no basicConstraints CA:TRUE); pass the cluster CA's {CertificateAuthority.CertificateFileName}.");
        }
        return new ClusterCertificateValidator(authority, time);
    }

    /// <summary>
    /// Validates a certificate: it must chain to <see cref="Authority"/> only, be a TLS node certificate (EKU
    /// serverAuth and clientAuth, not a CA), carry an identity with a known role that the subject agrees with, and be
    /// within its validity window now (and the CA within its own). On refusal <paramref name="reason"/> is one of
    /// <see cref="TrustReasons.Refusals"/>; on success it is <see cref="TrustReasons.Accepted"/>.
    /// </summary>
    public bool TryIdentify(X509Certificate? peer, out NodeIdentity? identity, out string reason) =>
        TryIdentify(peer, out identity, out reason, out _);

    /// <summary>Same as <see cref="TryIdentify(X509Certificate?, out NodeIdentity?, out string)"/>, with a one-line, human-readable <paramref name="detail"/> for logs.</summary>
    public bool TryIdentify(X509Certificate? peer, out NodeIdentity? identity, out string reason, out string detail)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        identity = null;
        if (peer is null)
            return Refuse(TrustReasons.NoCertificate, "the peer presented no certificate", out reason, out detail);

        X509Certificate2? owned = null;
        Verdict verdict;
        try
        {
            var certificate = peer as X509Certificate2 ?? (owned = X509CertificateLoader.LoadCertificate(peer.GetRawCertData()));
            var key = Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span));
            if (!_cache.TryGetValue(key, out verdict!))
            {
                verdict = Examine(certificate);
                if (_cache.Count >= MaxCached) _cache.Clear();
                _cache[key] = verdict;
            }
        }
        catch (CryptographicException e)
        {
            return Refuse(TrustReasons.NoIdentity, $"unreadable certificate: {CertificateFiles.OneLine(e.Message)}", out reason, out detail);
        }
        finally
        {
            owned?.Dispose();
        }

        if (verdict.Reason is not null) return Refuse(verdict.Reason, verdict.Detail, out reason, out detail);
        var now = _time.GetUtcNow();
        if (now < verdict.NotBefore)
            return Refuse(TrustReasons.NotYetValid, $"{verdict.Subject} is not valid before {verdict.NotBefore:u} (now {now:u}; clocks apart?)", out reason, out detail);
        if (now > verdict.NotAfter)
            return Refuse(TrustReasons.Expired, $"{verdict.Subject} expired on {verdict.NotAfter:u}", out reason, out detail);
        if (now < _authorityNotBefore)
            return Refuse(TrustReasons.NotYetValid, $"the cluster CA {Authority.Subject} is not valid before {_authorityNotBefore:u}", out reason, out detail);
        if (now > _authorityNotAfter)
            return Refuse(TrustReasons.Expired, $"the cluster CA {Authority.Subject} expired on {_authorityNotAfter:u}", out reason, out detail);
        identity = verdict.Identity;
        reason = TrustReasons.Accepted;
        detail = $"{verdict.Identity} ({verdict.Subject}), valid until {verdict.NotAfter:u}";
        return true;
    }

    /// <summary>
    /// Reads the identity written in a certificate (the one <c>akkabyz://ROLE/NAME</c> SAN URI, both parts of the
    /// name alphabet) without validating anything else, for messages and logs. Null if none.
    /// </summary>
    public static NodeIdentity? ReadIdentity(X509Certificate2 certificate) => ParseIdentity(certificate, out _);

    /// <summary>The akkabyz identity of <paramref name="certificate"/>, or null with the reason in <paramref name="problem"/>.</summary>
    internal static NodeIdentity? ParseIdentity(X509Certificate2 certificate, out string problem)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var extension = certificate.Extensions[SubjectAltNameOid];
        if (extension is null)
        {
            problem = "no subject alternative name";
            return null;
        }
        List<string> uris;
        try
        {
            uris = ReadSanUris(extension.RawData);
        }
        catch (AsnContentException)
        {
            problem = "unreadable subject alternative name";
            return null;
        }
        var prefix = NodeIdentity.UriScheme + "://";
        var ours = uris.Where(u => u.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (ours.Count != 1)
        {
            problem = ours.Count == 0 ? $"no {prefix}ROLE/NAME URI in the subject alternative name" : $"{ours.Count} {prefix} URIs in the subject alternative name (one expected)";
            return null;
        }
        var parts = ours[0][prefix.Length..].Split('/');
        if (parts.Length != 2 || !NodeIdentity.IsValidName(parts[0]) || !NodeIdentity.IsValidName(parts[1]))
        {
            problem = $"'{Printable(ours[0])}' is not {prefix}ROLE/NAME with a valid role and name";
            return null;
        }
        problem = "";
        return new NodeIdentity(parts[0], parts[1]);
    }

    /// <summary>Every uniformResourceIdentifier of a DER subjectAltName extension value.</summary>
    internal static List<string> ReadSanUris(byte[] extensionValue)
    {
        var uris = new List<string>();
        var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(uriTag) && !tag.IsConstructed) uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
            else names.ReadEncodedValue();
        }
        return uris;
    }

    /// <summary>Disposes <see cref="Authority"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _cache.Clear();
        Authority.Dispose();
    }

    /// <summary>The time-independent checks: chain to the CA, usage, identity.</summary>
    private Verdict Examine(X509Certificate2 certificate)
    {
        var subject = Printable(certificate.Subject);
        var notBefore = Utc(certificate.NotBefore);
        var notAfter = Utc(certificate.NotAfter);
        Verdict Bad(string reason, string detail) => new(null, reason, detail, subject, notBefore, notAfter);

        if (certificate.RawDataMemory.Span.SequenceEqual(Authority.RawDataMemory.Span))
            return Bad(TrustReasons.BadUsage, $"{subject} is the cluster CA's own certificate, not a node certificate");
        if (ChainProblem(certificate) is { } chainProblem) return Bad(chainProblem.Reason, chainProblem.Detail);

        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
            return Bad(TrustReasons.BadUsage, $"{subject} is a CA certificate (basicConstraints CA:TRUE), not a node certificate");
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        var usages = eku is null ? [] : eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
        if (!usages.Contains(ServerAuthOid) || !usages.Contains(ClientAuthOid))
            return Bad(TrustReasons.BadUsage, $"{subject} lacks the extended key usages serverAuth and clientAuth (a node is TLS server and client)");
        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } keyUsage
            && !keyUsage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
            return Bad(TrustReasons.BadUsage, $"{subject} has a key usage without digitalSignature");

        if (ParseIdentity(certificate, out var problem) is not { } identity)
            return Bad(TrustReasons.NoIdentity, $"{subject} carries no node identity: {problem}");
        if (!NodeIdentity.IsKnownRole(identity.Role))
            return Bad(TrustReasons.BadRole, $"{subject}: role '{identity.Role}' of {identity.Uri} is neither {NodeIdentity.AggregatorRole} nor {NodeIdentity.WorkerRole}");
        if (SubjectProblem(certificate, identity) is { } mismatch)
            return Bad(TrustReasons.NoIdentity, $"{subject} disagrees with its identity {identity.Uri}: {mismatch}");
        return new Verdict(identity, null, "", subject, notBefore, notAfter);
    }

    /// <summary>Null when <paramref name="certificate"/> chains to <see cref="Authority"/> (validity times aside).</summary>
    private (string Reason, string Detail)? ChainProblem(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(Authority);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        // Times are checked per call, against the current clock; the chain verdict is cached without them.
        policy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreNotTimeNested
            | X509VerificationFlags.IgnoreCtlNotTimeValid;
        var built = chain.Build(certificate);
        try
        {
            var elements = chain.ChainElements;
            var root = elements.Count > 0 ? elements[^1].Certificate : null;
            var rootIsAuthority = root is not null && root.RawDataMemory.Span.SequenceEqual(Authority.RawDataMemory.Span);
            var flags = X509ChainStatusFlags.NoError;
            foreach (var status in chain.ChainStatus) flags |= status.Status;
            flags &= ~TimeFlags;
            if (built && rootIsAuthority && flags == X509ChainStatusFlags.NoError) return null;
            var issuer = Printable(certificate.Issuer);
            var why = flags == X509ChainStatusFlags.NoError ? "chain ends elsewhere" : flags.ToString();
            if (certificate.IssuerName.RawData.AsSpan().SequenceEqual(Authority.SubjectName.RawData))
                why += " (its issuer has the cluster CA's name but not its key)";
            if (!rootIsAuthority || (flags & ForeignFlags) != 0)
                return (TrustReasons.ForeignCa, $"{Printable(certificate.Subject)} (issuer {issuer}) does not chain to the cluster CA {Printable(Authority.Subject)}: {why}");
            return (TrustReasons.BadUsage, $"{Printable(certificate.Subject)}: its chain to the cluster CA is invalid: {why}");
        }
        finally
        {
            foreach (var element in chain.ChainElements)
                if (!ReferenceEquals(element.Certificate, certificate) && !ReferenceEquals(element.Certificate, Authority))
                    element.Certificate.Dispose();
        }
    }

    /// <summary>Null when the subject has exactly one CN (the name) and one OU (the role).</summary>
    private static string? SubjectProblem(X509Certificate2 certificate, NodeIdentity identity)
    {
        var commonNames = new List<string>();
        var units = new List<string>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements) return "multi-valued relative distinguished name";
            var type = rdn.GetSingleElementType().Value;
            if (type == CommonNameOid) commonNames.Add(rdn.GetSingleElementValue() ?? "");
            else if (type == OrganizationalUnitOid) units.Add(rdn.GetSingleElementValue() ?? "");
        }
        if (commonNames.Count != 1 || commonNames[0] != identity.Name) return $"expected exactly one CN={identity.Name}";
        if (units.Count != 1 || units[0] != identity.Role) return $"expected exactly one OU={identity.Role}";
        return null;
    }

    private static bool Refuse(string why, string text, out string reason, out string detail)
    {
        reason = why;
        detail = text;
        return false;
    }

    private static DateTimeOffset Utc(DateTime time) => new(time.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>Peer-controlled text for a log line: control characters replaced, length capped.</summary>
    private static string Printable(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 200 ? clean : clean[..200] + "...";
    }

    private sealed record Verdict(NodeIdentity? Identity, string? Reason, string Detail, string Subject, DateTimeOffset NotBefore, DateTimeOffset NotAfter);
}
