using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Security;

/// <summary>
/// A node's trust material: the cluster CA (the only root it accepts), its own certificate with private key and the
/// identity the CA wrote in it. The cluster transport presents <see cref="Certificate"/> in TLS handshakes and calls
/// <see cref="TryIdentify(X509Certificate?, out NodeIdentity?, out string)"/> on the peer's certificate from its
/// <c>RemoteCertificateValidationCallback</c> (ignoring the platform's policy errors, which judge against system roots).
/// </summary>
public sealed class ClusterTrust : IDisposable
{
    private readonly ClusterCertificateValidator _validator;

    private ClusterTrust(ClusterCertificateValidator validator, X509Certificate2 certificate, NodeIdentity self)
    {
        _validator = validator;
        Certificate = certificate;
        Self = self;
    }

    /// <summary>The cluster CA certificate (public only).</summary>
    public X509Certificate2 Authority => _validator.Authority;

    /// <summary>This node's certificate with its private key (usable by <c>SslStream</c> and DotNetty).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>This node's identity, as its certificate carries it.</summary>
    public NodeIdentity Self { get; }

    /// <summary>
    /// Loads the CA certificate (PEM or DER file) and this node's PFX; checks that the node certificate has a private
    /// key, chains to that CA, carries a valid identity and is valid now. Throws <see cref="SettingsException"/> with a
    /// one-line message naming the file and the problem.
    /// </summary>
    public static ClusterTrust Load(string caCertificatePath, string nodeCertificatePath, string? password) =>
        Load(caCertificatePath, nodeCertificatePath, password, TimeProvider.System);

    /// <summary>As <see cref="Load(string, string, string?)"/>, with the clock of every validity check (tests).</summary>
    public static ClusterTrust Load(string caCertificatePath, string nodeCertificatePath, string? password, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(caCertificatePath);
        ArgumentNullException.ThrowIfNull(nodeCertificatePath);
        ArgumentNullException.ThrowIfNull(time);
        var validator = ClusterCertificateValidator.Load(caCertificatePath, time);
        X509Certificate2? certificate = null;
        try
        {
            certificate = CertificateFiles.LoadPkcs12(nodeCertificatePath, password);
            if (!certificate.HasPrivateKey)
                throw new SettingsException($"{nodeCertificatePath}: {certificate.Subject} has no private key (pass the node's .pfx made by certs issue).");
            if (!validator.TryIdentify(certificate, out var self, out var reason, out var detail))
            {
                var hint = reason == TrustReasons.ForeignCa ? $"; issued by another CA than {caCertificatePath}?" : "";
                throw new SettingsException($"{nodeCertificatePath}: refused by the cluster CA ({reason}): {detail}{hint}");
            }
            return new ClusterTrust(validator, certificate, self!);
        }
        catch
        {
            certificate?.Dispose();
            validator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Validates a peer certificate presented in a TLS handshake: it must chain to <see cref="Authority"/> only
    /// (custom root trust, no system roots, no revocation check), be within its validity window now, have the EKUs
    /// serverAuth and clientAuth, and carry a parsable identity (SAN URI <c>akkabyz://ROLE/NAME</c> with a known role;
    /// subject CN/OU agreeing with it). Thread-safe; chain verdicts are cached per certificate, validity windows are
    /// re-checked on every call. <paramref name="reason"/> is a short counter name (<see cref="TrustReasons"/>):
    /// "no-certificate", "foreign-ca", "expired", "not-yet-valid", "no-identity", "bad-role", "bad-usage"; "ok" on success.
    /// </summary>
    public bool TryIdentify(X509Certificate? peer, out NodeIdentity? identity, out string reason) =>
        _validator.TryIdentify(peer, out identity, out reason, out _);

    /// <summary>Same, with the human-readable <paramref name="detail"/> for logs.</summary>
    public bool TryIdentify(X509Certificate? peer, out NodeIdentity? identity, out string reason, out string detail) =>
        _validator.TryIdentify(peer, out identity, out reason, out detail);

    /// <summary>Reads the identity written in a certificate without validating it (for messages and logs). Null if none.</summary>
    public static NodeIdentity? ReadIdentity(X509Certificate2 certificate) => ClusterCertificateValidator.ReadIdentity(certificate);

    /// <summary>Disposes both certificates.</summary>
    public void Dispose()
    {
        Certificate.Dispose();
        _validator.Dispose();
    }
}
