using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;

namespace AkkaByz.Runtime.Transport.Tcp;

/// <summary>
/// TLS for the vector sockets, from the same settings as Akka.Remote's (<c>akka.remote.dot-netty.tcp.enable-ssl</c>,
/// <c>ssl.certificate.path/password</c>, <c>ssl.suppress-validation</c>): when Akka's link is encrypted, so is ours,
/// with the same certificate, and both ends present it (mutual authentication).
/// </summary>
internal sealed class TransportTls(X509Certificate2 certificate, bool suppressValidation) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>Null when TLS is off.</summary>
    public static TransportTls? From(Config config)
    {
        if (!config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false)) return null;
        var path = config.GetString("akka.remote.dot-netty.tcp.ssl.certificate.path", "");
        var password = config.GetString("akka.remote.dot-netty.tcp.ssl.certificate.password", null);
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        return new TransportTls(certificate, config.GetBoolean("akka.remote.dot-netty.tcp.ssl.suppress-validation", false));
    }

    public SslStream Server(Stream inner, TimeSpan timeout)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false, Validate);
        using var cancel = new CancellationTokenSource(timeout);
        ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = Certificate,
            ClientCertificateRequired = true,
        }, cancel.Token).GetAwaiter().GetResult();
        return ssl;
    }

    public SslStream Client(Stream inner, string host, TimeSpan timeout)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false, Validate);
        using var cancel = new CancellationTokenSource(timeout);
        ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ClientCertificates = [Certificate],
        }, cancel.Token).GetAwaiter().GetResult();
        return ssl;
    }

    // As Akka.Remote: with suppress-validation any presented certificate is accepted (self-signed set-ups);
    // otherwise the chain and name must validate.
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && (suppressValidation || errors == SslPolicyErrors.None);

    public void Dispose() => Certificate.Dispose();
}
