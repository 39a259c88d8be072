using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Experiments;

namespace AkkaByz.Runtime.Tests.Experiments;

public sealed class GridSpecs
{
    private const string Base = """
        akkabyz { workers = 9, byzantine = 4, rounds = 10 }
        """;

    private static GridSpec Grid(string experiment) => GridSpec.Parse(Base + "\nexperiment {\n" + experiment + "\n}");

    private static string Error(string experiment, string? baseText = null) =>
        Assert.Throws<SettingsException>(() =>
        {
            var grid = GridSpec.Parse((baseText ?? Base) + "\nexperiment {\n" + experiment + "\n}");
            GridExpansion.Expand(grid);
        }).Message;

    internal static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, relative);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void An_extra_sub_grid_may_add_a_setting_that_only_its_cells_carry()
    {
        // The zoo grid's honest-only reference: 9 honest workers, no attack, beside the m = 9, f = 4 main grid.
        var cells = GridExpansion.Expand(Grid("""
            axes { attack = [sf, alie], aggregator = ["ctma(cwtm)"] }
            extra = [ { attack = [none], aggregator = [mean], workers = [5], byzantine = [0] } ]
            """));
        Assert.Equal(3, cells.Count);
        Assert.All(cells.Take(2), c => Assert.Equal((9, 4), (c.Settings.Workers, c.Settings.Byzantine)));
        Assert.DoesNotContain(cells[0].Values, v => v.Key == "workers");
        var honest = cells[2];
        Assert.Equal((5, 0, "none", "mean"), (honest.Settings.Workers, honest.Settings.Byzantine, honest.Settings.Attack, honest.Settings.Aggregator));
        Assert.Contains(honest.Values, v => v.Key == "workers" && v.Value == "5");
    }

    [Fact]
    public void The_product_of_the_axes_must_give_one_cell_per_combination_first_axis_slowest()
    {
        var cells = GridExpansion.Expand(Grid("""
            axes { seed = [1, 2], attack = [sf, lf, alie], aggregator = ["cwtm", "ctma(cwtm)"], optimizer = [mu2, momentum], lr = [0.1] }
            """));
        Assert.Equal(3 * 2 * 2 * 1 * 2, cells.Count);
        Assert.Equal(cells.Count, cells.Select(c => c.Id).Distinct().Count());
        // Canonical axis order whatever the file order: attack, aggregator, optimizer, lr, seed.
        Assert.Equal(["attack", "aggregator", "optimizer", "lr", "seed"], cells[0].Values.Select(v => v.Key));
        Assert.Equal(["sf", "cwtm", "mu2", "0.1", "1"], cells[0].Values.Select(v => v.Value));
        Assert.Equal(["sf", "cwtm", "mu2", "0.1", "2"], cells[1].Values.Select(v => v.Value));
        Assert.Equal("alie", cells[^1].Settings.Attack);
        Assert.Equal("ctma(cwtm)", cells[^1].Settings.Aggregator);
        Assert.Equal("momentum", cells[^1].Settings.Optimizer.Name);
        Assert.Equal(2, cells[^1].Settings.Seed);
        Assert.Equal(9, cells[^1].Settings.Workers); // the base applies to every cell
    }

    [Fact]
    public void Ids_must_be_stable_readable_and_depend_only_on_the_axis_values()
    {
        var a = GridExpansion.Expand(Grid("axes { attack = [alie], aggregator = [\"nnm+ctma(cwtm)\"], lr = [0.1], seed = [3] }"));
        var b = GridExpansion.Expand(GridSpec.Parse("akkabyz { rounds = 99 }\nexperiment { axes { seed = [3], lr = [0.1], aggregator = [\"nnm+ctma(cwtm)\"], attack = [alie] } }"));
        Assert.Equal(a[0].Id, b[0].Id);
        Assert.NotEqual(a[0].Fingerprint, b[0].Fingerprint); // different base: a stored result would not be reused
        // A literal: ids must not change between versions, or resumed experiments would rerun everything.
        Assert.Equal("alie_nnm+ctma.cwtm_lr0.1_s3-" + a[0].Id[^8..], a[0].Id);
        Assert.Equal(a[0].Id, GridCell.IdOf([new("attack", "alie"), new("aggregator", "nnm+ctma(cwtm)"), new("lr", "0.1"), new("seed", "3")]));
        Assert.Equal("359542d1", a[0].Id[^8..]);
        Assert.DoesNotContain(a[0].Id, c => c is '(' or ')' or ',' or ' ' or '/');
    }

    [Fact]
    public void Extra_sub_grids_must_add_their_cells_and_drop_duplicates()
    {
        var grid = Grid("""
            axes { attack = [sf, alie], aggregator = ["cwtm", "ctma(cwtm)"], optimizer = [mu2, momentum], lr = [0.1] }
            extra = [ { aggregator = ["ctma(cwtm)"], lr = [0.01, 0.1, 1.0] } ]
            """);
        var cells = GridExpansion.Expand(grid);
        // 8 main cells; the sub-grid has 2 × 1 × 2 × 3 = 12, of which the 4 at lr 0.1 duplicate main cells.
        Assert.Equal(8 + 12 - 4, cells.Count);
        Assert.Equal(20, GridExpansion.CountUpperBound(grid));
        Assert.Equal(6, cells.Count(c => c.Settings.Aggregator == "ctma(cwtm)" && c.Settings.Attack == "sf"));
    }

    [Fact]
    public void Any_akkabyz_key_must_work_as_an_axis()
    {
        var cells = GridExpansion.Expand(Grid("axes { batch-size = [4, 16], \"data.partition\" = [iid, \"dirichlet(0.5)\"], optimizer.beta = [0.5] }"));
        Assert.Equal(4, cells.Count);
        Assert.Equal([4, 4, 16, 16], cells.Select(c => c.Settings.BatchSize));
        Assert.False(cells[1].Settings.Data.Partition.Iid);
        Assert.All(cells, c => Assert.Equal(0.5, c.Settings.Optimizer.Beta));
    }

    [Theory]
    [InlineData("axes { atack = [sf] }", "experiment.axes.atack")]
    [InlineData("axes { attack = sf }", "experiment.axes.attack: must be a non-empty list")]
    [InlineData("axes { attack = [] }", "experiment.axes.attack: must be a non-empty list")]
    [InlineData("axes { attack = [sf, sf] }", "listed twice")]
    [InlineData("axes { }", "experiment.axes: empty")]
    [InlineData("name = x", "experiment.axes: missing")]
    [InlineData("axes { attack = [sf] }\nparalel = 3", "experiment.paralel: unknown key")]
    [InlineData("axes { attack = [sf] }\nextra = [ { bogus = [0.1] } ]", "experiment.extra[0]")]
    [InlineData("axes { attack = [sf] }\nthreads-per-cell = 0", "experiment.threads-per-cell")]
    [InlineData("axes { attack = [sf, teleport] }", "akkabyz.attack")]
    [InlineData("axes { aggregator = [\"cwtm\", \"ctma(\"] }", "akkabyz.aggregator")]
    [InlineData("axes { lr = [0.1, -1] }", "akkabyz.optimizer.lr")]
    [InlineData("axes { optimizer = [adam] }", "akkabyz.optimizer.name")]
    [InlineData("axes { byzantine = [5] }", "akkabyz.byzantine")]
    public void A_bad_grid_must_fail_before_running_with_a_message_naming_the_key(string experiment, string expected) =>
        Assert.Contains(expected, Error(experiment));

    [Fact]
    public void A_bad_cell_must_be_named_in_the_error()
    {
        var message = Error("axes { attack = [sf], lr = [0.1, -1] }");
        Assert.Contains("lr = -1", message);
    }

    [Fact]
    public void A_typo_in_the_base_settings_or_a_missing_section_must_be_named()
    {
        Assert.Contains("akkabyz.workerz", Error("axes { attack = [sf] }", "akkabyz { workerz = 3 }"));
        Assert.Contains("no 'experiment' section", Assert.Throws<SettingsException>(() => GridSpec.Parse("akkabyz { rounds = 3 }")).Message);
        Assert.Contains("does not exist", Assert.Throws<SettingsException>(() => GridSpec.Load("/nonexistent/grid.conf")).Message);
    }

    [Theory]
    [InlineData("hocon/experiments/smoke.conf", 16)]
    [InlineData("hocon/experiments/paper-mnist.conf", 4 * 15 * 2 * 3 + 4 * 2 * 4 * 3)]
    [InlineData("hocon/experiments/paper-fashion-mnist.conf", 4 * 15 * 2 * 3 + 4 * 2 * 4 * 3)]
    [InlineData("hocon/experiments/fashion-mnist-reduced.conf", 4 * 10 * 2 * 2 + 4 * 2 * 4 * 2)]
    public void The_shipped_grids_must_parse_and_expand(string file, int cells)
    {
        var grid = GridSpec.Load(RepoFile(file));
        var expanded = GridExpansion.Expand(grid);
        Assert.Equal(cells, expanded.Count);
        if (file.Contains("paper", StringComparison.Ordinal))
            Assert.All(expanded, c =>
            {
                Assert.Equal((17, 8, 4, "cnn-mnist"), (c.Settings.Workers, c.Settings.Byzantine, c.Settings.BatchSize, c.Settings.Model));
                Assert.Equal(2.0, c.Settings.Optimizer.Clip);
            });
    }
}
