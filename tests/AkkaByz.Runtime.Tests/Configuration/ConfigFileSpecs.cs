using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Tests.Configuration;

/// <summary>HOCON includes are expanded in place, relative to the including file, into self-contained text.</summary>
public sealed class ConfigFileSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Includes_are_expanded_relative_to_the_including_file_and_later_keys_override_included_ones()
    {
        Write("base/cluster.conf", "akkabyz { rounds = 10, seed = 3 }\ninclude \"more.conf\"\n");
        Write("base/more.conf", "akkabyz.workers = 5\n");
        var user = Write("run.conf", "include \"base/cluster.conf\"\n  include required(file(\"extra.conf\")) # with a comment\nakkabyz.rounds = 20\n");
        Write("extra.conf", "akkabyz.byzantine = 2\n");

        var text = ConfigFile.ReadExpanded(user);
        Assert.DoesNotContain("include \"", text, StringComparison.Ordinal);
        var settings = AkkaByzSettings.Create(AkkaByzConfig.Load(user));
        Assert.Equal((20L, 3, 5, 2), (settings.Rounds, settings.Seed, settings.Workers, settings.Byzantine));
    }

    [Fact]
    public void Missing_cyclic_and_unsupported_includes_are_refused_naming_the_file_and_line()
    {
        var missing = Write("a.conf", "akkabyz.rounds = 1\ninclude \"nope.conf\"\n");
        var e = Assert.Throws<SettingsException>(() => ConfigFile.ReadExpanded(missing));
        Assert.Contains("a.conf:2", e.Message, StringComparison.Ordinal);
        Assert.Contains("nope.conf", e.Message, StringComparison.Ordinal);

        var cycle = Write("b.conf", "include \"c.conf\"\n");
        Write("c.conf", "include \"b.conf\"\n");
        Assert.Contains("includes itself", Assert.Throws<SettingsException>(() => ConfigFile.ReadExpanded(cycle)).Message, StringComparison.Ordinal);

        var url = Write("d.conf", "include url(\"http://example.com/x.conf\")\n");
        Assert.Contains("unsupported include", Assert.Throws<SettingsException>(() => ConfigFile.ReadExpanded(url)).Message, StringComparison.Ordinal);

        // A key that merely starts with "include" is not an include.
        var key = Write("e.conf", "akkabyz { includes-nothing = 1 }\n");
        Assert.Contains("includes-nothing", ConfigFile.ReadExpanded(key), StringComparison.Ordinal);
    }
}
