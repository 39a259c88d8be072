using Akka.Configuration;
using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Tests.Configuration;

/// <summary>HOCON includes go through Akka's include callback, relative to the including file; the result renders as self-contained text.</summary>
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
    public void Includes_resolve_relative_to_the_including_file_nest_and_later_keys_override_included_ones()
    {
        Write("base/cluster.conf", "akkabyz { rounds = 10, seed = 3 }\ninclude \"more.conf\"\n");
        Write("base/more.conf", "akkabyz.workers = 5\n");
        var user = Write("run.conf", "include \"base/cluster.conf\"\nakkabyz {\n  include \"extra.conf\" # inside a block\n}\nakkabyz.rounds = 20\n");
        Write("extra.conf", "byzantine = 2\n");

        var files = new List<string>();
        var text = ConfigFile.ReadExpanded(user, files);
        Assert.DoesNotContain("include", text, StringComparison.Ordinal);
        Assert.Equal(["run.conf", "base/cluster.conf", "base/more.conf", "extra.conf"],
            files.Select(f => Path.GetRelativePath(_dir, f).Replace('\\', '/')));
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
        Assert.StartsWith($"{missing}:2: ", LoadError(missing), StringComparison.Ordinal);

        var nested = Write("sub/n.conf", "akkabyz.seed = 1\n\ninclude \"gone.conf\"\n");
        var outer = Write("outer.conf", "include \"sub/n.conf\"\n");
        Assert.Contains($"{nested}:3: included file 'gone.conf' does not exist", LoadError(outer), StringComparison.Ordinal);

        var cycle = Write("b.conf", "include \"c.conf\"\n");
        Write("c.conf", "include \"b.conf\"\n");
        Assert.Contains("includes itself", Assert.Throws<SettingsException>(() => ConfigFile.ReadExpanded(cycle)).Message, StringComparison.Ordinal);
        Assert.Contains("includes itself", LoadError(cycle), StringComparison.Ordinal);

        var url = Write("d.conf", "include url(\"http://example.com/x.conf\")\n");
        Assert.Contains("d.conf:1: unsupported include", Assert.Throws<SettingsException>(() => ConfigFile.ReadExpanded(url)).Message, StringComparison.Ordinal);
        var required = Write("r.conf", "akkabyz.seed = 1\n  include required(file(\"a.conf\"))\n");
        Assert.Contains("r.conf:2: unsupported include", LoadError(required), StringComparison.Ordinal);

        // A key that merely starts with "include" is not an include.
        var key = Write("e.conf", "akkabyz { includes-nothing = 1 }\n");
        Assert.Contains("includes-nothing", ConfigFile.ReadExpanded(key), StringComparison.Ordinal);
    }

    [Fact]
    public void The_self_contained_text_parses_back_to_the_same_tree_and_a_worker_gets_the_same_settings()
    {
        Write("base.conf", """
            akkabyz {
              rounds = 12
              faults { crash = ["3@50"], stragglers = ["5:300ms"] }
              data.source = "idx:/data/with space#and \"quotes\" \\ back"
              barrier.round-deadline = 2s
              optimizer { name = mu2, lr = 0.05 }
            }
            akka.loglevel = INFO
            """);
        var user = Write("node.conf", "include \"base.conf\"\nakkabyz.seed = 7\nakkabyz.optimizer.lr = 1e-3\n");

        var local = AkkaByzConfig.Load(user);
        var text = ConfigFile.ReadExpanded(user);
        var worker = ClusterConfig.RunConfig([text], null); // what a worker node builds from the text it receives
        Assert.Equal(ConfigFile.Render(local), ConfigFile.Render(worker));
        Assert.Equal(text, ConfigFile.Render(ConfigurationFactory.ParseString(text)));
        var (a, b) = (AkkaByzSettings.Create(local), AkkaByzSettings.Create(worker));
        Assert.Equal((12L, 7, 0.001, "idx:/data/with space#and \"quotes\" \\ back"), (b.Rounds, b.Seed, b.Optimizer.LearningRate, worker.GetString("akkabyz.data.source")));
        Assert.Equal((a.Rounds, a.Seed, a.Optimizer, a.Barrier, a.Data, a.Faults.Crashes.Count, a.Faults.Stragglers.Count),
            (b.Rounds, b.Seed, b.Optimizer, b.Barrier, b.Data, b.Faults.Crashes.Count, b.Faults.Stragglers.Count));
    }

    [Fact]
    public void The_shipped_config_files_render_to_the_same_configuration()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "hocon"))) dir = Path.GetDirectoryName(dir);
        var hocon = Path.Combine(dir!, "hocon");
        var files = Directory.GetFiles(hocon, "*.conf").Where(f => !File.ReadAllText(f).Contains("experiment", StringComparison.Ordinal)).ToArray();
        Assert.Contains(files, f => f.EndsWith("cluster-mlp-fashion-mnist.conf", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var local = AkkaByzConfig.Load(file);
            Assert.Equal(ConfigFile.Render(local), ConfigFile.Render(ClusterConfig.RunConfig([ConfigFile.ReadExpanded(file)], null)));
        }
    }

    /// <summary>Loads <paramref name="path"/> on another thread and returns its error, failing if it takes over a second.</summary>
    private static string LoadError(string path, string[]? extraSections = null)
    {
        AkkaByzConfig.Load(); // warm-up: the reference is parsed once
        var load = Task.Run(() => AkkaByzConfig.Load(path, extraSections: extraSections));
        Assert.True(((IAsyncResult)load).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)), "loading a malformed file must fail, not hang");
        var error = Assert.IsType<SettingsException>(load.Exception?.InnerException);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }

    [Theory]
    [InlineData("akkabyz { workers = [9 }\n", 1, "'}' closes the '[' opened on line 1")] // Akka's parser spins here, memory growing
    [InlineData("akkabyz {\n  workers = 9\n", 1, "'{' opened here is never closed")]
    [InlineData("akkabyz {\n  workers = 9\n}\n}\n", 4, "'}' closes nothing")]
    [InlineData("akkabyz {\n  rounds == 5\n}\n", 2, "'=' followed by '='")]
    [InlineData("akkabyz {\n  rounds =\n}\n", 2, "'=' has no value")]
    [InlineData("akkabyz {\n  attack = \"alie\n}\n", 2, "never closed")]
    [InlineData("akkabyz.faults.crash = [\"3@50\", \"4@60\"\n", 1, "'[' opened here is never closed")]
    public void A_malformed_file_must_fail_at_once_naming_the_file_the_line_and_the_problem(string text, int line, string problem)
    {
        var path = Write("bad.conf", text);
        var message = LoadError(path);
        Assert.StartsWith($"{path}:{line}: ", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_included_file_is_named_with_its_own_line()
    {
        Write("inc/base.conf", "akkabyz {\n  seed = 3\n  workers = [9 }\n");
        var user = Write("user.conf", "include \"inc/base.conf\"\nakkabyz.rounds = 5\n");
        Assert.StartsWith($"{Path.Combine(_dir, "inc", "base.conf")}:3: ", LoadError(user), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("akkabz { workers = 9 }\n", 1, "unknown top-level key 'akkabz' (did you mean 'akkabyz'?)")]
    [InlineData("akkabyz { rounds = 5 }\nworkers = 9\n", 2, "unknown top-level key 'workers'")]
    [InlineData("akkabyz {\n  roundz = 5\n}\n", 2, "unknown key 'akkabyz.roundz' (did you mean 'akkabyz.rounds'?)")]
    [InlineData("akkabyz-cluster {\n  checkpoint-intervall = 5\n}\n", 2, "unknown key 'akkabyz-cluster.checkpoint-intervall' (did you mean 'akkabyz-cluster.checkpoint-interval'?)")]
    [InlineData("akkabyz.rounds = 5\nakka.actor.provider = local\n", 2, "akka.actor.provider = local is not supported")]
    [InlineData("akkabyz {\n  seed = 2\n  rounds\n}\n", 3, "'akkabyz.rounds' has no value")]
    public void Keys_outside_the_known_blocks_must_be_refused_not_ignored(string text, int line, string problem)
    {
        var path = Write("keys.conf", text);
        var message = LoadError(path);
        Assert.StartsWith($"{path}:{line}: ", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_blocks_are_legitimate_in_a_file_train_reads_and_a_grid_may_hold_experiment()
    {
        var node = Write("node.conf", "akka.loglevel = INFO\nakkabyz-cluster.checkpoint-interval = 5\nakkabyz-transport.mode = akka\nakkabyz.rounds = 7\n");
        Assert.Equal(7, AkkaByzSettings.Create(AkkaByzConfig.Load(node)).Rounds);
        var grid = Write("grid.conf", "akkabyz.rounds = 7\nexperiment.axes.seed = [1, 2]\n");
        Assert.Contains("experiment", LoadError(grid), StringComparison.Ordinal); // not in a run file
        AkkaByzConfig.Load(grid, extraSections: ["experiment"]);
    }

    [Theory]
    [InlineData("a { b = 1 }", null)]
    [InlineData("a { b = \"x}\" } # } in a comment\n// ] too\n", null)]
    [InlineData("a { b = \"\"\"multi\n}line\"\"\" }", null)]
    [InlineData("a { b = ${?HOME}, c = [\"2:300ms\", 3] }", null)]
    [InlineData("a.b += 1\na { c: 2, d = idx:/data }", null)]
    [InlineData("a = [1, 2}", 1)]
    [InlineData("a = { b = 1 ]", 1)]
    [InlineData("a = ${HOME\n", 1)]
    [InlineData("a {\n b = 1\n c = ,\n}", 3)]
    [InlineData("a = [\n 1,\n 2:300ms ]", 3)] // Akka's parser loops on [:1]
    [InlineData("a = [ { b = 1 }, { c: 2 } ]", null)]
    // Inputs on which Akka's parser loops (found by feeding it random fragments): all refused here.
    [InlineData("a.b\na.b+=[:]:1", 2)]
    [InlineData("+=[a${a}$]", 1)]
    [InlineData("a = [=]", 1)]
    [InlineData("\"\"\" #\"+=[\\\"x\"+=\\=ba{\"\"\"", 1)]
    public void The_lint_must_pass_sound_hocon_and_name_the_line_of_a_broken_one(string text, int? line) =>
        Assert.Equal(line, HoconLint.Check(text)?.Line);
}
