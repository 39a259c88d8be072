using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Runtime.Tests.Doubles;

/// <summary>Coordinate-wise mean; records how many times it ran.</summary>
internal sealed class FakeMean(int m, int f) : IAggregator
{
    public string Spec => "fake-mean";
    public int M { get; } = m;
    public int F { get; } = f;
    public int Calls { get; private set; }

    public AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output)
    {
        if (inputs.Count != M) throw new ArgumentException($"fake-mean built for {M} inputs, got {inputs.Count}.");
        Calls++;
        output.Clear();
        foreach (var v in inputs)
            for (var j = 0; j < output.Length; j++) output[j] += v[j] / inputs.Count;
        return AggregationReport.None;
    }
}

/// <summary>Mean of the m − f inputs closest to the coordinate-wise median: a tiny robust rule reporting suspects.</summary>
internal sealed class FakeTrimmed(int m, int f) : IAggregator
{
    public string Spec => "fake-trimmed";
    public int M { get; } = m;
    public int F { get; } = f;

    public AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output)
    {
        var d = output.Length;
        var median = new float[d];
        var column = new float[inputs.Count];
        for (var j = 0; j < d; j++)
        {
            for (var i = 0; i < inputs.Count; i++) column[i] = inputs[i][j];
            Array.Sort(column);
            median[j] = column[inputs.Count / 2];
        }
        var order = Enumerable.Range(0, inputs.Count)
            .OrderBy(i => inputs[i].Select((v, j) => (double)(v - median[j]) * (v - median[j])).Sum()).ThenBy(i => i).ToArray();
        var keep = order.Take(M - F).Order().ToArray();
        output.Clear();
        foreach (var i in keep)
            for (var j = 0; j < d; j++) output[j] += inputs[i][j] / keep.Length;
        return new AggregationReport(order.Skip(M - F).Order().ToArray(), keep);
    }
}

/// <summary>
/// loss(x; batch) = ½‖x − mean of the batch's feature rows‖²; gradient x − mean. Evaluate reports
/// accuracy = 1 / (1 + loss over all rows), so it rises as x approaches the data mean.
/// </summary>
internal sealed class FakeQuadraticModel(int dimension) : IGradientModel
{
    public string Name => "fake-quadratic";
    public int ParameterCount { get; } = dimension;
    public bool Disposed { get; private set; }

    public void Initialize(Span<float> parameters, int seed)
    {
        var rng = new Random(seed);
        for (var j = 0; j < parameters.Length; j++) parameters[j] = (float)rng.NextDouble();
    }

    public double LossAndGradient(ReadOnlySpan<float> parameters, DataSet data, ReadOnlySpan<int> batch, Span<float> gradient)
    {
        gradient.Clear();
        foreach (var i in batch)
        {
            var row = data.Sample(i);
            for (var j = 0; j < gradient.Length; j++) gradient[j] += row[j] / batch.Length;
        }
        double loss = 0;
        for (var j = 0; j < gradient.Length; j++)
        {
            gradient[j] = parameters[j] - gradient[j];
            loss += 0.5 * gradient[j] * gradient[j];
        }
        return loss;
    }

    public Evaluation Evaluate(ReadOnlySpan<float> parameters, DataSet data)
    {
        var all = Enumerable.Range(0, data.Count).ToArray();
        var g = new float[ParameterCount];
        var loss = LossAndGradient(parameters, data, all, g);
        return new Evaluation(loss, 1 / (1 + loss));
    }

    public void Dispose() => Disposed = true;
}

/// <summary>Plain SGD halves from AkkaByz.Core (workers send the raw gradient; server x ← x − lr · aggregate).</summary>
internal static class Sgd
{
    public static IWorkerOptimizer Worker() => OptimizerFactory.CreateWorker(OptimizerOptions.For(OptimizerKind.Sgd, 1f));

    public static IServerOptimizer Server(float[] x, float lr) => OptimizerFactory.CreateServer(OptimizerOptions.For(OptimizerKind.Sgd, lr), x);
}

/// <summary>Sign flip of the own update (non-omniscient).</summary>
internal sealed class FakeSignFlip : IAttack
{
    public string Name => "fake-sf";
    public bool NeedsHonestVectors => false;

    public void Craft(AttackContext context, Span<float> output)
    {
        var own = context.OwnUpdate.Span;
        for (var j = 0; j < output.Length; j++) output[j] = -100 * own[j];
    }
}

/// <summary>−10 × the mean of the honest vectors (omniscient, IPM-like); records the honest counts it saw.</summary>
internal sealed class FakeInnerProduct : IAttack
{
    public string Name => "fake-ipm";
    public bool NeedsHonestVectors => true;
    public List<int> HonestCounts { get; } = [];

    public void Craft(AttackContext context, Span<float> output)
    {
        lock (HonestCounts) HonestCounts.Add(context.HonestVectors.Count);
        output.Clear();
        foreach (var v in context.HonestVectors)
            for (var j = 0; j < output.Length; j++) output[j] -= 10 * v[j] / context.HonestVectors.Count;
    }
}

internal static class FakeData
{
    /// <summary>n rows of d features around a fixed centre (seeded), 2 classes.</summary>
    public static DataSet Rows(int n, int d, int seed = 7)
    {
        var rng = new Random(seed);
        var features = new float[n * d];
        for (var i = 0; i < features.Length; i++) features[i] = 3 + (float)(rng.NextDouble() - 0.5);
        return new DataSet("fake", features, Enumerable.Range(0, n).Select(i => i % 2).ToArray(), SampleShape.Flat(d), 2);
    }
}
