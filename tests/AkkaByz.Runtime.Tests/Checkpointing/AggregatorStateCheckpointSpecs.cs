using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Checkpointing;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>
/// A stateful rule's state (centered clipping's previous output) travels in the checkpoint's optional section, and the
/// aggregator's per-(n, f) rule instances share it: a run restored from a checkpoint continues bit for bit.
/// </summary>
public sealed class AggregatorStateCheckpointSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkabyz-ckpt-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[][] Round(int t, int n)
    {
        var rng = new Random(100 + t);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 257).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray()).ToArray();
    }

    private static float[] Run(IAggregator a, float[][] x)
    {
        var y = new float[x[0].Length];
        a.Aggregate(x, y);
        return y;
    }

    [Fact]
    public void Checkpoint_then_restore_continues_centered_clipping_bit_for_bit_whatever_the_number_of_inputs()
    {
        var spec = AggregatorSpec.Parse("ctma(cc(iters=2,tau=0.3))");
        // Uninterrupted: rounds 1–4, the number of answering workers changing (7, 7, 6, 7) as after a crash and a rejoin.
        int[] n = [7, 7, 6, 7];
        var holder = new RuleStateHolder();
        var cache = new Dictionary<int, IAggregator>();
        IAggregator For(RuleStateHolder h, Dictionary<int, IAggregator> c, int k)
        {
            if (!c.TryGetValue(k, out var a)) { a = spec.Build(k, 2); h.Attach(a); c[k] = a; }
            return a;
        }
        var straight = Enumerable.Range(0, 4).Select(t => Run(For(holder, cache, n[t]), Round(t, n[t]))).ToList();

        // Interrupted after round 2: checkpoint, a new aggregator restores it and runs rounds 3–4.
        var h1 = new RuleStateHolder();
        var c1 = new Dictionary<int, IAggregator>();
        for (int t = 0; t < 2; t++) Assert.Equal(straight[t], Run(For(h1, c1, n[t]), Round(t, n[t])));
        var server = OptimizerFactory.CreateServer(new OptimizerOptions(), [1f, 2f]);
        var store = new CheckpointStore(_dir);
        store.Save(new Checkpoint(2, 4, server.Query.ToArray(), server.GetState(), ["akkabyz.rounds = 4"], false, h1.Save()));

        var restored = store.TryLoad()!;
        Assert.NotNull(restored.AggregatorState);
        var h2 = new RuleStateHolder { Pending = restored.AggregatorState };
        var c2 = new Dictionary<int, IAggregator>();
        for (int t = 2; t < 4; t++)
        {
            var y = Run(For(h2, c2, n[t]), Round(t, n[t]));
            Assert.Equal(straight[t].Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        }
        // Without the state the restored run would start over from the median: a different result.
        var fresh = spec.Build(n[2], 2);
        Assert.NotEqual(straight[2], Run(fresh, Round(2, n[2])));
    }

    [Fact]
    public void A_checkpoint_of_a_stateless_rule_has_no_state_section_and_reads_as_before()
    {
        var server = OptimizerFactory.CreateServer(new OptimizerOptions(), [1f, 2f]);
        var store = new CheckpointStore(_dir);
        var holder = new RuleStateHolder();
        holder.Attach(AggregatorSpec.Parse("ctma(cwtm)").Build(5, 1));
        Assert.Null(holder.Save());
        store.Save(new Checkpoint(3, 9, server.Query.ToArray(), server.GetState(), [], false, holder.Save()));
        Assert.Null(store.TryLoad()!.AggregatorState);
    }

    [Fact]
    public void A_state_of_another_rule_is_refused_when_the_first_instance_is_built()
    {
        var a = AggregatorSpec.Parse("cc").Build(5, 1);
        Run(a, Round(0, 5));
        var holder = new RuleStateHolder { Pending = a.State!.Save() };
        var e = Assert.Throws<InvalidDataException>(() => holder.Attach(AggregatorSpec.Parse("cc(tau=2)").Build(5, 1)));
        Assert.Contains("'cc'", e.Message);
    }
}
