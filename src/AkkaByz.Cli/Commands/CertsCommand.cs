using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaByz.Cli.Display;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz certs init|issue|show</c>: the cluster certificate authority and its node certificates
/// (docs/cluster.md, "Certificates"). <c>init</c> once per cluster, <c>issue</c> once per node (and again to
/// rotate), <c>show</c> to inspect a file and, with <c>--ca</c>, check it the way nodes do.
/// </summary>
public static class CertsCommand
{
    public static Command Create()
    {
        var command = new Command("certs", "The cluster CA and node certificates: init (once), issue (per node), show; see docs/cluster.md.");
        command.Subcommands.Add(CreateInit());
        command.Subcommands.Add(CreateIssue());
        command.Subcommands.Add(CreateShow());
        return command;
    }

    private static Command CreateInit()
    {
        var command = new Command("init", "Create the cluster CA: DIR/ca.crt (give to every node) and DIR/ca.key (mode 0600; keep it off the nodes).");
        var outDir = new Option<string>("--out") { Description = "CA folder (created with mode 0700 when new).", Required = true };
        var clusterName = new Option<string>("--cluster-name") { Description = "Name in the CA's subject (CN=AkkaByz cluster CA NAME).", DefaultValueFactory = _ => "akkabyz" };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 365 };
        var force = new Option<bool>("--force") { Description = "Replace an existing CA (every certificate it issued stops being accepted)." };
        foreach (var o in new Option[] { outDir, clusterName, days, force }) command.Options.Add(o);
        command.SetAction(parse => Guard(parse, output =>
        {
            var dir = parse.GetValue(outDir)!;
            var files = CertificateAuthority.Init(dir, parse.GetValue(clusterName)!, Days(parse.GetValue(days)), parse.GetValue(force));
            using var ca = CertificateFiles.LoadCertificate(files.CertificatePath);
            output.WriteLine($"cluster CA {ca.Subject}, valid until {Utc(ca.NotAfter)}");
            output.WriteLine($"  {files.CertificatePath}  certificate: copy it to every node");
            output.WriteLine($"  {files.KeyPath}  private key (mode 0600): whoever holds it can issue identities; keep it off the nodes");
            output.WriteLine($"next: akkabyz certs issue --ca {dir} --role aggregator --name agg1 --out {Path.Combine(dir, "agg1")}");
            return 0;
        }));
        return command;
    }

    private static Command CreateIssue()
    {
        var command = new Command("issue", "Issue a node certificate signed by the CA: OUT/NAME.pfx (key + certificate + CA, mode 0600) and OUT/NAME.crt.");
        var ca = new Option<string>("--ca") { Description = "CA folder (ca.crt and ca.key, from certs init).", Required = true };
        var role = new Option<string>("--role") { Description = "aggregator | worker.", Required = true };
        var name = new Option<string>("--name") { Description = "Node name: 1..63 characters of a-z 0-9 . _ -, starting with a letter or digit.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Output folder (created with mode 0700 when new).", Required = true };
        var days = new Option<int>("--days") { Description = "Validity in days (cut to the CA's expiry).", DefaultValueFactory = _ => 90 };
        var hosts = new Option<string[]>("--host") { Description = "DNS name or IP address for the SAN (repeatable; default localhost and 127.0.0.1).", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var password = new Option<string>("--password") { Description = "PFX password (default none; the file is mode 0600 either way)." };
        foreach (var o in new Option[] { ca, role, name, outDir, days, hosts, password }) command.Options.Add(o);
        command.SetAction(parse => Guard(parse, output =>
        {
            var issued = CertificateAuthority.Issue(parse.GetValue(ca)!, parse.GetValue(role)!, parse.GetValue(name)!, parse.GetValue(outDir)!,
                Days(parse.GetValue(days)), parse.GetValue(hosts), parse.GetValue(password));
            output.WriteLine($"issued {issued.Identity} ({issued.Identity.Uri}), valid until {issued.NotAfter.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}");
            if (issued.ClampedToAuthority) output.WriteLine("  note: cut to the CA's expiry; make a new CA before then");
            output.WriteLine($"  {issued.PfxPath}  key + certificate + CA (mode 0600): the node's certificate");
            output.WriteLine($"  {issued.CertificatePath}  certificate only");
            output.WriteLine($"  hosts: {string.Join(", ", issued.Hosts)}");
            return 0;
        }));
        return command;
    }

    private static Command CreateShow()
    {
        var command = new Command("show", "Print a certificate's subject, identity, issuer, validity and thumbprints (.pfx, .crt PEM or DER).");
        var file = new Argument<string>("FILE") { Description = "A .pfx or a certificate (PEM or DER)." };
        var password = new Option<string>("--password") { Description = "PFX password." };
        var ca = new Option<string>("--ca") { Description = "Also check the certificate as nodes do, against this CA (ca.crt or its folder); exit 1 when refused." };
        command.Arguments.Add(file);
        command.Options.Add(password);
        command.Options.Add(ca);
        command.SetAction(parse => Guard(parse, output =>
        {
            var path = parse.GetValue(file)!;
            using var certificate = CertificateFiles.LoadAny(path, parse.GetValue(password), out var others);
            try
            {
                Show(output, path, certificate, others);
                if (parse.GetValue(ca) is not { } caPath) return 0;
                using var validator = ClusterCertificateValidator.Load(caPath);
                var accepted = validator.TryIdentify(certificate, out _, out var reason, out var detail);
                output.WriteLine(accepted ? $"trust:     accepted: {detail}" : $"trust:     REFUSED ({reason}): {detail}");
                return accepted ? 0 : 1;
            }
            finally
            {
                foreach (var c in others) c.Dispose();
            }
        }));
        return command;
    }

    private static void Show(TextWriter output, string path, X509Certificate2 certificate, IReadOnlyList<X509Certificate2> others)
    {
        var now = DateTime.UtcNow;
        var notBefore = certificate.NotBefore.ToUniversalTime();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        var state = now < notBefore ? "NOT YET VALID"
            : now > notAfter ? "EXPIRED"
            : $"{(notAfter - now).TotalDays:0} days left";
        var identity = ClusterTrust.ReadIdentity(certificate);
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        output.WriteLine($"file:      {path}{(certificate.HasPrivateKey ? " (with private key)" : "")}");
        output.WriteLine($"subject:   {certificate.Subject}");
        output.WriteLine($"identity:  {(identity is null ? basic is { CertificateAuthority: true } ? "none (a CA certificate)" : "none (no akkabyz://ROLE/NAME SAN URI)" : $"{identity} ({identity.Uri})")}");
        output.WriteLine($"issuer:    {certificate.Issuer}");
        output.WriteLine($"valid:     {Utc(certificate.NotBefore)} .. {Utc(certificate.NotAfter)} ({state})");
        if (Hosts(certificate) is { Count: > 0 } hosts) output.WriteLine($"hosts:     {string.Join(", ", hosts)}");
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } eku)
            output.WriteLine($"usage:     {string.Join(", ", eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.FriendlyName ?? o.Value))}");
        if (basic is { CertificateAuthority: true })
            output.WriteLine($"ca:        yes{(basic.HasPathLengthConstraint ? $" (path length {basic.PathLengthConstraint})" : "")}");
        output.WriteLine($"key:       {certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value}");
        output.WriteLine($"serial:    {certificate.SerialNumber}");
        output.WriteLine($"sha256:    {certificate.GetCertHashString(HashAlgorithmName.SHA256)}");
        output.WriteLine($"sha1:      {certificate.Thumbprint}");
        foreach (var other in others) output.WriteLine($"also in the file: {other.Subject}");
    }

    private static List<string> Hosts(X509Certificate2 certificate)
    {
        var hosts = new List<string>();
        if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is not { } san) return hosts;
        try
        {
            hosts.AddRange(san.EnumerateDnsNames());
            hosts.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
        }
        catch (CryptographicException)
        {
            hosts.Add("(unreadable subject alternative name)");
        }
        return hosts;
    }

    private static TimeSpan Days(int days) =>
        days >= 1 ? TimeSpan.FromDays(days) : throw new SettingsException($"--days {days}: must be at least 1.");

    private static string Utc(DateTime time) => time.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture);

    /// <summary>Runs a subcommand; user errors (bad values, missing or bad files) are one line on stderr and exit 2.</summary>
    private static int Guard(ParseResult parse, Func<TextWriter, int> body)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return body(parse.InvocationConfiguration.Output);
        }
        catch (Exception e) when (UserErrors.IsUserError(e) || e is CryptographicException or IOException)
        {
            error.WriteLine($"akkabyz certs: {UserErrors.Describe(e)}");
            return 2;
        }
    }
}
