namespace AkkaByz.Runtime.Security;

/// <summary>
/// A node's proven identity: its role and name as written by the cluster CA in its certificate (the SAN URI
/// <c>akkabyz://ROLE/NAME</c>, repeated as subject <c>CN=NAME, OU=ROLE</c>).
/// </summary>
public sealed record NodeIdentity(string Role, string Name)
{
    /// <summary>The role of nodes that may host (or stand by for) the aggregator.</summary>
    public const string AggregatorRole = "aggregator";

    /// <summary>The role of nodes that compute gradients.</summary>
    public const string WorkerRole = "worker";

    /// <summary>The URI scheme of the identity in the certificate's subject alternative name.</summary>
    public const string UriScheme = "akkabyz";

    /// <summary>The longest valid name (an X.509 CN allows 64 characters; DNS labels 63).</summary>
    public const int MaxNameLength = 63;

    /// <summary>True for <see cref="AggregatorRole"/>.</summary>
    public bool IsAggregator => Role == AggregatorRole;

    /// <summary>True for <see cref="WorkerRole"/>.</summary>
    public bool IsWorker => Role == WorkerRole;

    /// <summary>The SAN URI that carries this identity: <c>akkabyz://ROLE/NAME</c>.</summary>
    public string Uri => $"{UriScheme}://{Role}/{Name}";

    /// <summary><c>ROLE:NAME</c>, e.g. <c>worker:w1</c>.</summary>
    public override string ToString() => $"{Role}:{Name}";

    /// <summary>True for the roles a cluster CA issues: <see cref="AggregatorRole"/> and <see cref="WorkerRole"/>.</summary>
    public static bool IsKnownRole(string? role) => role is AggregatorRole or WorkerRole;

    /// <summary>
    /// Names: 1..63 characters of <c>[a-z0-9._-]</c>, starting with a letter or digit (validated by
    /// <see cref="CertificateAuthority.Issue"/> and when a certificate's identity is parsed).
    /// </summary>
    public static bool IsValidName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !IsLetterOrDigit(name[0])) return false;
        foreach (var c in name)
            if (!IsLetterOrDigit(c) && c is not ('.' or '_' or '-'))
                return false;
        return true;
    }

    private static bool IsLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
