namespace AkkaByz.Runtime.Security;

/// <summary>
/// The reasons <see cref="ClusterTrust.TryIdentify(System.Security.Cryptography.X509Certificates.X509Certificate?, out NodeIdentity?, out string)"/>
/// reports: short, stable names fit for counters.
/// </summary>
public static class TrustReasons
{
    /// <summary>The certificate was accepted (the reason reported on success).</summary>
    public const string Accepted = "ok";

    /// <summary>The peer presented no certificate.</summary>
    public const string NoCertificate = "no-certificate";

    /// <summary>The certificate does not chain to the cluster CA (another CA, self-signed, bad signature).</summary>
    public const string ForeignCa = "foreign-ca";

    /// <summary>The certificate (or the cluster CA) is past its NotAfter.</summary>
    public const string Expired = "expired";

    /// <summary>The certificate (or the cluster CA) is before its NotBefore.</summary>
    public const string NotYetValid = "not-yet-valid";

    /// <summary>No readable <c>akkabyz://ROLE/NAME</c> SAN URI, or a subject CN/OU that disagrees with it.</summary>
    public const string NoIdentity = "no-identity";

    /// <summary>The identity's role is neither aggregator nor worker.</summary>
    public const string BadRole = "bad-role";

    /// <summary>Not a TLS node certificate: no serverAuth + clientAuth EKU, a CA certificate, no digitalSignature key usage.</summary>
    public const string BadUsage = "bad-usage";

    /// <summary>Every refusal reason, for counters that want a fixed set.</summary>
    public static readonly IReadOnlyList<string> Refusals = [NoCertificate, ForeignCa, Expired, NotYetValid, NoIdentity, BadRole, BadUsage];
}
