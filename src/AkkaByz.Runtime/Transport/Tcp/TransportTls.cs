using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Transport.Tcp;

/// <summary>A TLS handshake was refused; <see cref="Reason"/> is the counter name (no-certificate, foreign-ca, expired...).</summary>
internal sealed class TlsRefusedException(string reason, string message, Exception? inner = null) : IOException(message, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// Mutual TLS for the vector sockets, pinned to the cluster CA (mode = mtls): both ends present their node
/// certificate and each checks the other's with <see cref="ClusterTrust.TryIdentify"/> — the chain must end at the
/// cluster's own CA (not the system roots), be within its validity, and carry a role and name. The handshake returns
/// the peer's identity; a refused handshake throws <see cref="TlsRefusedException"/> naming why.
/// </summary>
internal sealed class TransportTls(ClusterTrust trust)
{
    public ClusterTrust Trust { get; } = trust;

    public (SslStream Stream, NodeIdentity Peer) Server(Stream inner, TimeSpan timeout) => Handshake(inner, timeout, server: true, host: "");

    public (SslStream Stream, NodeIdentity Peer) Client(Stream inner, string host, TimeSpan timeout) => Handshake(inner, timeout, server: false, host);

    private (SslStream, NodeIdentity) Handshake(Stream inner, TimeSpan timeout, bool server, string host)
    {
        NodeIdentity? peer = null;
        string reason = "no-certificate", detail = "the peer presented no certificate";
        bool Validate(object _, X509Certificate? certificate, X509Chain? __, SslPolicyErrors ___)
        {
            // Our own chain check (ClusterTrust) replaces the platform's: only the cluster CA is trusted.
            if (Trust.TryIdentify(certificate, out var identity, out var r, out var d))
            {
                peer = identity;
                return true;
            }
            (reason, detail) = (r, d);
            return false;
        }
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false, Validate);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            if (server)
                ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = Trust.Certificate,
                    ClientCertificateRequired = true,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancel.Token).GetAwaiter().GetResult();
            else
                ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    ClientCertificates = [Trust.Certificate],
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, cancel.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            ssl.Dispose();
            if (e is OperationCanceledException) throw new TlsRefusedException("handshake-timeout", $"no TLS handshake within {timeout.TotalSeconds:0.#} s", e);
            if (peer is null && e is AuthenticationException) throw new TlsRefusedException(reason, detail, e);
            throw new TlsRefusedException("handshake-failed", e.Message, e);
        }
        if (peer is null)
        {
            ssl.Dispose();
            throw new TlsRefusedException(reason, detail);
        }
        return (ssl, peer);
    }
}
