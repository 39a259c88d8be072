using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Experiments;

namespace AkkaByz.Runtime.Tests.Configuration;

/// <summary>One settings reader: the local train command, the nodes and the experiment cells read a run the same way.</summary>
public sealed class RunConfigurationSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-runconf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static readonly KeyValuePair<string, string>[] Flags =
    [
        new("akkabyz.attack", AkkaByzConfig.Quote("ipm")),
        new("akkabyz.rounds", "12"),
    ];

    [Fact]
    public void Train_node_and_experiment_cell_read_the_same_file_and_overrides_into_the_same_settings()
    {
        Write("base.conf", "akkabyz { workers = 9, byzantine = 2, seed = 4 }\n");
        var file = Write("run.conf", "include \"base.conf\"\nakkabyz.aggregator = \"ctma(cwmed)\"\n");

        // akkabyz train --config run.conf --attack ipm --rounds 12
        var train = AkkaByzSettings.Create(AkkaByzConfig.Load(file, Flags));
        // akkabyz node --role aggregator --config run.conf --attack ipm --rounds 12: the layers it sends to the workers
        var (_, layers) = ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Aggregator, ConfigFile = file, RunOverrides = Flags });
        var node = RunConfiguration.FromLayers(layers).Settings();
        var worker = AkkaByzSettings.Create(ClusterConfig.RunConfig(layers, null));
        // a grid over run.conf with the cell attack = ipm, rounds = 12
        var grid = Write("grid.conf", File.ReadAllText(file) + "experiment { axes { attack = [ipm], rounds = [12] } }\n");
        var cell = Assert.Single(GridExpansion.Expand(GridSpec.Load(grid))).Settings;

        Assert.Equal(2, layers.Count);
        Assert.Equal(ConfigFile.ReadExpanded(file), layers[0]); // includes expanded: self-contained text
        Assert.Equal("akkabyz.attack = \"ipm\"\nakkabyz.rounds = 12", layers[1]);
        static string Key(AkkaByzSettings s) =>
            $"{s.Workers} {s.Byzantine} {s.Seed} {s.Attack} {s.Aggregator} {s.Rounds} {s.Data.Source} {s.Data.Partition} {s.Optimizer} {s.Barrier} {s.BatchSize} {s.Model}";
        Assert.Equal("9 2 4 ipm ctma(cwmed) 12", string.Join(' ', Key(train).Split(' ')[..6]));
        foreach (var s in new[] { node, worker, cell }) Assert.Equal(Key(train), Key(s));
    }

    [Fact]
    public void A_bad_override_and_a_bad_key_give_the_same_message_to_train_and_to_a_node()
    {
        KeyValuePair<string, string>[] bad = [new("akkabyz.attack", "\"unterminated")];
        var train = Assert.Throws<SettingsException>(() => AkkaByzConfig.Load(null, bad)).Message;
        var node = Assert.Throws<SettingsException>(() => ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Aggregator, RunOverrides = bad })).Message;
        Assert.StartsWith("command-line overrides are not valid", train, StringComparison.Ordinal);
        Assert.Equal(train, node);

        var typo = Write("typo.conf", "akkabyz { worker = 9 }\n");
        var trainTypo = Assert.Throws<SettingsException>(() => AkkaByzConfig.Load(typo)).Message;
        var nodeTypo = Assert.Throws<SettingsException>(() => ClusterConfig.Build(new ClusterNodeOptions { Role = NodeRole.Worker, ConfigFile = typo })).Message;
        Assert.Contains("unknown key 'akkabyz.worker'", trainTypo, StringComparison.Ordinal);
        Assert.Equal(trainTypo, nodeTypo);
    }

    [Fact]
    public void A_worker_nodes_own_data_path_goes_over_the_layers_and_a_malformed_layer_is_named()
    {
        var run = RunConfiguration.Empty.With([new("akkabyz.data.source", AkkaByzConfig.Quote("idx:/far/away"))]);
        Assert.Equal("idx:/far/away", run.Settings().Data.Source.ToString());
        Assert.Equal("synthetic", RunConfiguration.FromLayers(run.Layers).Settings("synthetic").Data.Source.ToString());
        Assert.Same(run, run.With([])); // no overrides, no layer

        var e = Assert.Throws<SettingsException>(() => RunConfiguration.FromLayers(["akkabyz.rounds = 3", "akkabyz { rounds = "]));
        Assert.StartsWith("run configuration layer 2 of 2 is not valid HOCON", e.Message, StringComparison.Ordinal);
    }
}
