using Akka.Configuration;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Faults;

namespace AkkaByz.Runtime.Tests.Configuration;

public sealed class SettingsSpecs
{
    private static AkkaByzSettings With(string hocon) => AkkaByzSettings.Create(ConfigurationFactory.ParseString(hocon));

    private static string Error(string hocon) => Assert.Throws<SettingsException>(() => With(hocon)).Message;

    [Fact]
    public void Reference_conf_must_give_the_default_job()
    {
        var s = AkkaByzSettings.Default;
        Assert.Equal(DataSourceKind.Synthetic, s.Data.Source.Kind);
        Assert.True(s.Data.Partition.Iid);
        Assert.Equal("logreg", s.Model);
        Assert.Equal((17, 8), (s.Workers, s.Byzantine));
        Assert.Equal("alie", s.Attack);
        Assert.Equal("ctma(cwtm)", s.Aggregator);
        Assert.Equal("mu2", s.Optimizer.Name);
        Assert.Equal(17, s.Barrier.Quorum); // auto = 2f + 1
        Assert.Empty(s.Faults.Crashes);
        Assert.True(s.IsByzantine(16));
        Assert.True(s.IsByzantine(9));
        Assert.False(s.IsByzantine(8));
    }

    [Fact]
    public void The_gradient_schedule_must_default_to_split_gradients_and_shared_models_and_be_read_from_akkabyz_compute()
    {
        Assert.Equal(new ComputeSettings(true, true), AkkaByzSettings.Default.Compute);
        Assert.Equal(new ComputeSettings(true, false), With("akkabyz.compute.share-models = off").Compute);
        Assert.Equal(new ComputeSettings(false, true), With("akkabyz.compute.split-gradients = off").Compute);
        Assert.Contains("akkabyz.compute.share-models", Error("akkabyz.compute.share-models = sometimes"));
    }

    [Fact]
    public void Settings_must_refuse_impossible_m_f_pairs_naming_the_key()
    {
        var e = Error("akkabyz { workers = 16, byzantine = 8 }");
        Assert.Contains("akkabyz.byzantine", e);
        Assert.Contains("f < m/2", e);
        Assert.Contains("akkabyz.workers", Error("akkabyz.workers = 0"));
        Assert.Contains("akkabyz.byzantine", Error("akkabyz.byzantine = -1"));
    }

    [Theory]
    [InlineData("akkabyz.optimizer.lr = 0", "akkabyz.optimizer.lr")]
    [InlineData("akkabyz.optimizer.name = adam", "akkabyz.optimizer.name")]
    [InlineData("akkabyz.batch-size = 0", "akkabyz.batch-size")]
    [InlineData("akkabyz.data.partition = \"dirichlet(-1)\"", "akkabyz.data.partition")]
    [InlineData("akkabyz.data.partition = zipf", "akkabyz.data.partition")]
    [InlineData("akkabyz.data.source = \"hdf5:/x\"", "akkabyz.data.source")]
    [InlineData("akkabyz.data.normalization = zscore", "akkabyz.data.normalization")]
    [InlineData("akkabyz.data.normalization = \"standardize(0.1,0)\"", "akkabyz.data.normalization")]
    [InlineData("akkabyz.faults.crash = [\"3-10\"]", "akkabyz.faults.crash")]
    [InlineData("akkabyz.faults.crash = [\"40@10\"]", "akkabyz.faults.crash")]
    [InlineData("akkabyz.faults.stragglers = [\"2:soon\"]", "akkabyz.faults.stragglers")]
    [InlineData("akkabyz.faults.stragglers = [\"2:300\"]", "akkabyz.faults.stragglers: '2:300': the delay '300' has no unit")]
    [InlineData("akkabyz.barrier.round-deadline = 5", "akkabyz.barrier.round-deadline: '5' has no unit; write e.g. 5ms, 5s or 5m.")]
    [InlineData("akkabyz.barrier.round-deadline = -1s", "akkabyz.barrier.round-deadline: '-1s' is negative.")]
    [InlineData("akkabyz.faults.messages = [\"2:garble\"]", "akkabyz.faults.messages")]
    [InlineData("akkabyz.faults.crash-rate = 1.5", "akkabyz.faults.crash-rate")]
    [InlineData("akkabyz.barrier.quorum = 18", "akkabyz.barrier.quorum")]
    [InlineData("akkabyz.barrier.round-deadline = 0s", "akkabyz.barrier.round-deadline")]
    [InlineData("akkabyz.workers = many", "akkabyz.workers")]
    [InlineData("akkabyz.eval-interval = -1", "akkabyz.eval-interval")]
    public void Settings_must_reject_bad_values_with_a_message_naming_the_key(string hocon, string key)
    {
        Assert.Contains(key, Error(hocon));
    }

    [Fact]
    public void Normalization_must_default_to_standardize_for_idx_data_and_unit_range_otherwise()
    {
        Assert.Null(AkkaByzSettings.Default.Data.Normalization); // auto
        Assert.Equal("unit-range", AkkaByzSettings.Default.Data.EffectiveNormalization.ToString());
        Assert.Equal("standardize", With("akkabyz.data.source = fashion-mnist").Data.EffectiveNormalization.ToString());
        Assert.Equal("standardize", With("akkabyz.data.source = \"idx:/x\"").Data.EffectiveNormalization.ToString());
        Assert.Equal("unit-range", With("akkabyz.data.source = \"cifar10:/x\"").Data.EffectiveNormalization.ToString());
        Assert.Equal("unit-range",
            With("akkabyz.data { source = fashion-mnist, normalization = unit-range }").Data.EffectiveNormalization.ToString());
        Assert.Equal("standardize(0.1307,0.3081)",
            With("akkabyz.data.normalization = \"standardize(0.1307, 0.3081)\"").Data.EffectiveNormalization.ToString());
        var e = Error("akkabyz.data.normalization = zscore");
        Assert.Contains("expected auto, unit-range, standardize", e);
        Assert.Contains("standardize(0.1307,0.3081)", e);
    }

    [Fact]
    public void Settings_must_parse_fault_specs()
    {
        var s = With("""
            akkabyz.faults {
              crash = ["3@10", "5@1"]
              crash-rate = 0.01
              stragglers = ["2:300ms", "4:1.5s", "6:20 ms"]
              messages = ["4:nan", "6:duplicate@3", "1:wrong-length", "0:replay", "7:drop@2"]
            }
            """);
        Assert.Equal([new CrashFault(3, 10), new CrashFault(5, 1)], s.Faults.Crashes);
        Assert.Equal(0.01, s.Faults.CrashRate);
        Assert.Equal([TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1.5), TimeSpan.FromMilliseconds(20)], s.Faults.Stragglers.Select(x => x.Delay));
        Assert.Equal(new MessageFault(6, MessageFaultKind.Duplicate, 3), s.Faults.Messages[1]);
        Assert.Equal(MessageFaultKind.WrongLength, s.Faults.Messages[2].Kind);
        Assert.Equal("7:drop@2", s.Faults.Messages[4].ToString());
    }

    [Fact]
    public void Layering_must_apply_reference_then_user_file_then_overrides()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "akkabyz { workers = 9, byzantine = 2, attack = sf }");
            var config = AkkaByzConfig.Load(file, [new("akkabyz.byzantine", "3"), new("akkabyz.aggregator", AkkaByzConfig.Quote("nnm+ctma(cwtm)"))]);
            var s = AkkaByzSettings.Create(config);
            Assert.Equal(9, s.Workers);          // file
            Assert.Equal(3, s.Byzantine);        // flag over file
            Assert.Equal("sf", s.Attack);        // file
            Assert.Equal("nnm+ctma(cwtm)", s.Aggregator);
            Assert.Equal("mu2", s.Optimizer.Name); // reference
            Assert.Equal(7, s.Barrier.Quorum);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Layering_must_report_a_missing_or_malformed_user_file()
    {
        Assert.Contains("does not exist", Assert.Throws<SettingsException>(() => AkkaByzConfig.Load("/nonexistent/x.conf")).Message);
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "akkabyz { workers = ");
            var e = Assert.Throws<SettingsException>(() => AkkaByzSettings.Create(AkkaByzConfig.Load(file)));
            Assert.StartsWith(file + ":1: '=' has no value", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Layering_must_refuse_an_unknown_key_in_a_user_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "akkabyz { workrs = 9, optimizer { lr = 0.2, momentm = 0.5 } }");
            var e = Assert.Throws<SettingsException>(() => AkkaByzConfig.Load(file));
            Assert.Contains("unknown key 'akkabyz.workrs'", e.Message);
            File.WriteAllText(file, "akkabyz.optimizer { lr = 0.2, momentm = 0.5 }\nakka.loglevel = INFO");
            Assert.Contains("akkabyz.optimizer.momentm", Assert.Throws<SettingsException>(() => AkkaByzConfig.Load(file)).Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Every_hocon_file_shipped_in_the_repository_must_load()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "hocon"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        var files = Directory.GetFiles(Path.Combine(dir!, "hocon"), "*.conf");
        Assert.NotEmpty(files);
        foreach (var f in files) AkkaByzSettings.Create(AkkaByzConfig.Load(f));
    }
}
