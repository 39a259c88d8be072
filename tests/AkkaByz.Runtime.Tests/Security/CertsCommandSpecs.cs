using System.CommandLine;
using AkkaByz.Cli;
using AkkaByz.Runtime.Security;

namespace AkkaByz.Runtime.Tests.Security;

/// <summary><c>akkabyz certs</c>: init, issue, show, and one-line errors with exit code 2.</summary>
public sealed class CertsCommandSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkabyz-certs-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string P(params string[] parts) => Path.Combine([_dir, .. parts]);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(["certs", .. args], new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, string expected)
    {
        Assert.Equal(2, r.Code);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines);
        Assert.StartsWith("akkabyz certs: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void Certs_init_issue_and_show_must_make_a_working_ca_and_node_certificate()
    {
        var init = Run("init", "--out", P("ca"), "--cluster-name", "prod");
        Assert.True(init.Code == 0, init.Err);
        Assert.Contains(P("ca", "ca.crt"), init.Out);
        Assert.Contains(P("ca", "ca.key"), init.Out);
        Assert.Contains("next: akkabyz certs issue", init.Out);

        var issue = Run("issue", "--ca", P("ca"), "--role", "worker", "--name", "w1", "--out", P("w1"), "--days", "30",
            "--host", "w1.example", "--host", "10.0.0.7", "--password", "pw");
        Assert.True(issue.Code == 0, issue.Err);
        Assert.Contains("issued worker:w1", issue.Out);
        Assert.Contains(P("w1", "w1.pfx"), issue.Out);
        Assert.Contains("valid until", issue.Out);
        Assert.Contains("w1.example, 10.0.0.7", issue.Out);

        using (var trust = ClusterTrust.Load(P("ca", "ca.crt"), P("w1", "w1.pfx"), "pw"))
            Assert.Equal(new NodeIdentity("worker", "w1"), trust.Self);

        var show = Run("show", P("w1", "w1.pfx"), "--password", "pw", "--ca", P("ca"));
        Assert.True(show.Code == 0, show.Err);
        Assert.Contains("subject:   CN=w1, OU=worker, O=AkkaByz", show.Out);
        Assert.Contains("identity:  worker:w1 (akkabyz://worker/w1)", show.Out);
        Assert.Contains("issuer:    CN=AkkaByz cluster CA prod, O=AkkaByz", show.Out);
        Assert.Contains("(with private key)", show.Out);
        Assert.Contains("sha256:", show.Out);
        Assert.Contains("trust:     accepted", show.Out);

        var crt = Run("show", P("w1", "w1.crt"));
        Assert.True(crt.Code == 0, crt.Err);
        Assert.Contains("identity:  worker:w1", crt.Out);
        Assert.Contains("30 days left", crt.Out);
        var ca = Run("show", P("ca", "ca.crt"));
        Assert.Contains("identity:  none (a CA certificate)", ca.Out);
        Assert.Contains("ca:        yes (path length 0)", ca.Out);
    }

    [Fact]
    public void Certs_show_with_another_ca_must_report_the_refusal_and_exit_1()
    {
        Assert.Equal(0, Run("init", "--out", P("ca")).Code);
        Assert.Equal(0, Run("init", "--out", P("other")).Code);
        Assert.Equal(0, Run("issue", "--ca", P("other"), "--role", "aggregator", "--name", "a1", "--out", P("a1")).Code);
        var show = Run("show", P("a1", "a1.crt"), "--ca", P("ca", "ca.crt"));
        Assert.Equal(1, show.Code);
        Assert.Contains("trust:     REFUSED (foreign-ca)", show.Out);
    }

    [Fact]
    public void Certs_errors_must_be_one_line_on_stderr_with_exit_code_2()
    {
        Assert.Equal(0, Run("init", "--out", P("ca")).Code);
        AssertOneLineError(Run("init", "--out", P("ca")), P("ca", "ca.key") + " already exists");
        AssertOneLineError(Run("issue", "--ca", P("ca"), "--role", "boss", "--name", "w1", "--out", P("x")), "role 'boss'");
        AssertOneLineError(Run("issue", "--ca", P("ca"), "--role", "worker", "--name", "W 1", "--out", P("x")), "node name 'W 1'");
        AssertOneLineError(Run("issue", "--ca", P("nope"), "--role", "worker", "--name", "w1", "--out", P("x")), P("nope"));
        AssertOneLineError(Run("issue", "--ca", P("ca"), "--role", "worker", "--name", "w1", "--out", P("x"), "--days", "0"), "--days 0");
        AssertOneLineError(Run("issue", "--ca", P("ca"), "--role", "worker", "--name", "w1", "--out", P("x"), "--host", "a b"), "host 'a b'");
        AssertOneLineError(Run("show", P("missing.pfx")), P("missing.pfx"));
        File.WriteAllText(P("junk.crt"), "not a certificate");
        AssertOneLineError(Run("show", P("junk.crt")), P("junk.crt"));
        Assert.Equal(0, Run("issue", "--ca", P("ca"), "--role", "worker", "--name", "w1", "--out", P("w1"), "--password", "pw").Code);
        AssertOneLineError(Run("show", P("w1", "w1.pfx"), "--password", "wrong"), "password");
        Assert.False(Directory.Exists(P("x")));
    }
}
