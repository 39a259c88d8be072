using AkkaByz.Runtime.Experiments;

namespace AkkaByz.Runtime.Tests.Experiments;

public sealed class AnalysisSpecs
{
    private static CellResult R(string agg, double lr, int seed, double final, params (long Round, double Acc)[] curve) => new()
    {
        Id = $"{agg}-{lr}-{seed}", Fingerprint = "f",
        Values = [new("attack", "alie"), new("aggregator", agg), new("optimizer", "mu2"), new("lr", lr.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        Attack = "alie", Aggregator = agg, Optimizer = "mu2", LearningRate = lr, Seed = seed, Model = "logreg", Data = "synthetic",
        Workers = 17, Byzantine = 8, BatchSize = 4, Completed = true, Rounds = 100, FinalAccuracy = final,
        BestAccuracy = Math.Max(final, curve.Length == 0 ? 0 : curve.Max(c => c.Acc)), FinalLoss = 1, WallSeconds = 1, Rejected = 0, Suspects = 0,
        Curve = curve.Select(c => new CurvePoint(c.Round, c.Acc, 1)).ToList(),
    };

    private static CellResult A(string attack, string agg, int seed, double final, double precision = double.NaN, double recall = double.NaN) =>
        R(agg, 0.1, seed, final) with
        {
            Id = $"{attack}-{agg}-{seed}", Attack = attack, SuspectPrecision = precision, SuspectRecall = recall,
            Values = [new("attack", attack), new("aggregator", agg), new("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        };

    [Fact]
    public void The_worst_case_is_the_lowest_mean_over_seeds_across_attacks_leaving_out_none()
    {
        var results = new List<CellResult>
        {
            A("sf", "cwtm", 1, 0.70), A("sf", "cwtm", 2, 0.74),        // mean 0.72
            A("optipm", "cwtm", 1, 0.50), A("optipm", "cwtm", 2, 0.40), // mean 0.45: the worst
            A("sf", "ctma(cwtm)", 1, 0.80, 0.9, 0.8), A("sf", "ctma(cwtm)", 2, 0.80, 0.7, 0.6),
            A("optipm", "ctma(cwtm)", 1, 0.60), A("optipm", "ctma(cwtm)", 2, 0.64),
            A("none", "mean", 1, 0.30), A("none", "mean", 2, 0.30),   // the honest-only control is no attack
        };
        var a = new ExperimentAnalysis(results);
        var w = a.WorstCase("cwtm", "mu2")!.Value;
        Assert.Equal((0.45, "optipm", 2), (Math.Round(w.Accuracy, 12), w.Attack, w.Attacks));
        Assert.Equal(0.62, a.WorstCase("ctma(cwtm)", "mu2")!.Value.Accuracy, 12);
        Assert.Null(a.WorstCase("mean", "mu2"));
        var d = a.Detection("sf", "ctma(cwtm)", "mu2")!.Value;
        Assert.Equal((0.8, 0.7), (Math.Round(d.Precision, 12), Math.Round(d.Recall, 12)));
        Assert.True(double.IsNaN(a.Detection("sf", "cwtm", "mu2")!.Value.Precision));

        var grid = GridSpec.Parse("akkabyz { rounds = 10 }\nexperiment { axes { attack = [sf, optipm], aggregator = [cwtm, \"ctma(cwtm)\"], seed = [1, 2] } }");
        var md = ExperimentReport.Markdown(grid, GridExpansion.Expand(grid), results);
        Assert.True(md.Contains("| `ctma(cwtm)` | 62.0 | optipm | 2 | 71.0 | -32.0 |", StringComparison.Ordinal), md); // the honest-only 30 % minus the worst case
        Assert.True(md.Contains("| `cwtm` | 45.0 | optipm | 2 | 58.5 | -15.0 |", StringComparison.Ordinal), md);
        Assert.True(md.Contains("Best spec by worst case: `ctma(cwtm)` (62.0 %)", StringComparison.Ordinal), md);
        Assert.True(md.Contains("| `ctma(cwtm)` | 80 / 70 | – / – | – |", StringComparison.Ordinal), md);

        var dir = Path.Combine(Path.GetTempPath(), "akkabyz-worst-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var store = new ResultsStore(dir);
            store.WriteResultsCsv(grid.Axes, results);
            var lines = File.ReadAllLines(store.ResultsCsv);
            var header = lines[0].Split(',');
            var row = lines.First(l => l.StartsWith("sf-cwtm-1,", StringComparison.Ordinal)).Split(',');
            Assert.Equal("0.5000", row[Array.IndexOf(header, "worst_case_accuracy")]); // seed 1: min(0.70, 0.50)
            Assert.Equal("", row[Array.IndexOf(header, "suspect_precision")]);
            var ctma = lines.First(l => l.StartsWith("sf-ctma(cwtm)-1,", StringComparison.Ordinal));
            Assert.Contains("0.9000,0.8000,0.6000", ctma); // precision, recall, worst case over sf 0.80 and optipm 0.60
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Aggregators_must_be_compared_at_the_common_rate_not_at_a_swept_rules_best()
    {
        var results = new List<CellResult>
        {
            R("cwtm", 0.1, 1, 0.70), R("cwtm", 0.1, 2, 0.72),
            R("ctma(cwtm)", 0.1, 1, 0.60), R("ctma(cwtm)", 0.1, 2, 0.62),
            R("ctma(cwtm)", 0.3, 1, 0.90), R("ctma(cwtm)", 0.3, 2, 0.92), // only the swept rule has 0.3
        };
        var a = new ExperimentAnalysis(results);
        Assert.Equal(0.1, a.CommonLr);
        Assert.Equal(0.61, a.Compared("alie", "ctma(cwtm)", "mu2")!.Final.Mean, 12);
        Assert.Equal(0.3, a.BestLr("alie", "ctma(cwtm)", "mu2")!.LearningRate);
        Assert.Equal(2, a.ByLr("alie", "ctma(cwtm)", "mu2").Count);
        Assert.Equal("lr 0.1", a.ComparedAt);
    }

    [Fact]
    public void Without_a_common_rate_each_combination_is_shown_at_its_best()
    {
        var a = new ExperimentAnalysis([R("cwtm", 0.1, 1, 0.7), R("ctma(cwtm)", 0.3, 1, 0.8)]);
        Assert.Null(a.CommonLr);
        Assert.Equal(0.3, a.Compared("alie", "ctma(cwtm)", "mu2")!.LearningRate);
        Assert.Equal("best lr", a.ComparedAt);
    }

    [Fact]
    public void Seed_curves_must_be_averaged_at_the_rounds_all_seeds_evaluated()
    {
        var a = new ExperimentAnalysis([R("cwtm", 0.1, 1, 0.8, (0, 0.1), (50, 0.5), (100, 0.8)), R("cwtm", 0.1, 2, 0.6, (0, 0.1), (100, 0.6))]);
        var curve = a.Settings.Single().MeanCurve();
        Assert.Equal([0L, 100], curve.Select(p => p.Round));
        Assert.Equal(0.7, curve[1].Accuracy, 12);
    }

    [Fact]
    public void Extra_axes_must_keep_cells_apart_in_the_labels()
    {
        var r = R("cwtm", 0.1, 1, 0.7) with { Values = [new("aggregator", "cwtm"), new("batch-size", "16")] };
        Assert.Equal("cwtm [batch-size=16]", ExperimentAnalysis.Label(r));
    }

    [Fact]
    public void Results_must_survive_a_json_round_trip()
    {
        var r = R("nnm+ctma(cwtm)", 0.1, 3, 0.75, (0, 0.1), (100, 0.75));
        var back = CellResult.FromJson(r.ToJson());
        Assert.Equal(r.Id, back.Id);
        Assert.Equal(r.Values, back.Values);
        Assert.Equal(r.Curve, back.Curve);
        Assert.Equal(r.FinalAccuracy, back.FinalAccuracy);
    }
}
