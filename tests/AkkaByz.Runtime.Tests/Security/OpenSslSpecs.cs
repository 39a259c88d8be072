using System.Runtime.CompilerServices;
using System.Diagnostics;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

/// <summary>A fact reported as skipped, saying why, when <c>openssl</c> is not on PATH.</summary>
public sealed class RequiresOpenSslFactAttribute : FactAttribute
{
    public RequiresOpenSslFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (OpenSslSpecs.FindOnPath("openssl") is null) Skip = "openssl is not on PATH; the openssl interoperability test is skipped.";
    }
}

/// <summary>The openssl recipe of docs/cluster.md ("Certificates") and AkkaByz's certificates agree with each other.</summary>
public sealed class OpenSslSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkabyz-openssl-" + Guid.NewGuid().ToString("N"));

    public OpenSslSpecs() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>The first ```bash block between the certs markers of docs/cluster.md that runs openssl.</summary>
    private static string DocumentedScript()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "cluster.md"));
        var begin = doc.IndexOf("<!-- certs:begin -->", StringComparison.Ordinal);
        var end = doc.IndexOf("<!-- certs:end -->", StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/cluster.md lacks the certs markers");
        var section = doc[begin..end];
        for (var at = section.IndexOf("```bash\n", StringComparison.Ordinal); at >= 0; at = section.IndexOf("```bash\n", at + 1, StringComparison.Ordinal))
        {
            var start = at + "```bash\n".Length;
            var block = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
            if (block.Contains("openssl ecparam", StringComparison.Ordinal)) return block;
        }
        throw new InvalidOperationException("no openssl block in the certs section of docs/cluster.md");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AkkaByz.sln"))) return dir.FullName;
        throw new FileNotFoundException($"AkkaByz.sln not found above {AppContext.BaseDirectory}.");
    }

    private (int Code, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{program} did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [RequiresOpenSslFact]
    public void OpenSsl_recipe_of_the_docs_must_make_a_ca_and_node_certificate_that_trust_accepts()
    {
        var script = Path.Combine(_dir, "recipe.sh");
        File.WriteAllText(script, "set -euo pipefail\n" + DocumentedScript());
        var (code, output) = Run("bash", script);
        Assert.True(code == 0, output);

        using var trust = ClusterTrust.Load(Path.Combine(_dir, "ca.crt"), Path.Combine(_dir, "w1.pfx"), "change-me");
        Assert.Equal(new NodeIdentity("worker", "w1"), trust.Self);
        Assert.True(trust.TryIdentify(trust.Certificate, out var identity, out var reason, out var detail), detail);
        Assert.Equal(new NodeIdentity("worker", "w1"), identity);
        Assert.Equal(TrustReasons.Accepted, reason);

        // certs issue works from the openssl-made CA folder (SEC1 EC key), and openssl's node is a peer of it.
        var issued = CertificateAuthority.Issue(_dir, NodeIdentity.AggregatorRole, "agg1", Path.Combine(_dir, "agg1"), TimeSpan.FromDays(30));
        using var aggregator = ClusterTrust.Load(Path.Combine(_dir, "ca.crt"), issued.PfxPath, null);
        Assert.True(aggregator.TryIdentify(trust.Certificate, out var peer, out _));
        Assert.Equal(trust.Self, peer);
        Assert.True(trust.TryIdentify(aggregator.Certificate, out peer, out _));
        Assert.Equal(aggregator.Self, peer);
    }

    [RequiresOpenSslFact]
    public void OpenSsl_must_verify_certificates_issued_by_certs_issue_for_tls_server_and_client()
    {
        var ca = CertificateAuthority.Init(Path.Combine(_dir, "ca"), "interop", TimeSpan.FromDays(30));
        var issued = CertificateAuthority.Issue(Path.Combine(_dir, "ca"), NodeIdentity.WorkerRole, "w1", Path.Combine(_dir, "w1"), TimeSpan.FromDays(10), password: "pw");
        foreach (var purpose in new[] { "sslserver", "sslclient" })
        {
            var (code, output) = Run("openssl", "verify", "-CAfile", ca.CertificatePath, "-purpose", purpose, issued.CertificatePath);
            Assert.True(code == 0, output);
            Assert.Contains(": OK", output);
        }
        var (infoCode, info) = Run("openssl", "pkcs12", "-in", issued.PfxPath, "-nokeys", "-passin", "pass:pw");
        Assert.True(infoCode == 0, info);
        Assert.Contains("subject=O = AkkaByz, OU = worker, CN = w1", info);
        Assert.Contains("subject=O = AkkaByz, CN = AkkaByz cluster CA interop", info);
        var (keyCode, key) = Run("openssl", "pkey", "-in", ca.KeyPath, "-noout", "-text");
        Assert.True(keyCode == 0, key);
        Assert.Contains("P-256", key);
    }
}
