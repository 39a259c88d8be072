using AkkaByz.Core.Attacks;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using System.Numerics.Tensors;

namespace AkkaByz.Core.Tests.Attacks;

/// <summary>
/// A single-process Byzantine simulation on the synthetic task with a test-local mean and coordinate-wise median
/// (the real aggregators live in AkkaByz.Core.Aggregation): m = 17, f = 8, logistic regression.
/// </summary>
internal static class AttackOnSyntheticTask
{
    public static double Run(string attackSpec, bool median, OptimizerOptions options, int rounds, int batch, DataSet train, DataSet test, int seed = 1)
    {
        const int m = 17, f = 8, honest = m - f;
        var attack = AttackRegistry.Create(attackSpec);
        var model = LogisticRegression.For(train);
        var d = model.ParameterCount;
        var theta = new float[d];
        model.Initialize(theta, seed);
        var server = OptimizerFactory.CreateServer(options, theta);
        var shards = Partitioner.Iid(train.Count, m, seed);
        var samplers = shards.Select((s, i) => new MinibatchSampler(s, seed, i)).ToArray();
        var workers = Enumerable.Range(0, m).Select(_ => OptimizerFactory.CreateWorker(options)).ToArray();
        var vectors = Enumerable.Range(0, m).Select(_ => new float[d]).ToArray();
        var indices = new int[batch];
        var aggregate = new float[d];
        var column = new float[m];
        // Byzantine workers that train (sf, lf, none) see flipped labels in a private copy of the data
        var flipped = new DataSet("flipped", train.Features, train.Labels.Select(y => attack.TransformLabel(y, train.ClassCount)).ToArray(), train.Shape, train.ClassCount);
        for (var t = 1; t <= rounds; t++)
        {
            var x = server.Query.ToArray();
            for (var i = 0; i < m; i++)
            {
                var byz = i >= honest;
                if (byz && attack.NeedsHonestVectors) continue;
                samplers[i].Batch(t, indices);
                var idx = indices;
                var data = byz ? flipped : train;
                workers[i].ComputeUpdate(t, x, (p, g) => model.LossAndGradient(p, data, idx, g), vectors[i]);
            }
            var honestVectors = vectors[..honest];
            for (var i = honest; i < m; i++)
            {
                var own = vectors[i].ToArray();
                attack.Craft(new AttackContext(t, m, f, i - honest, own, attack.NeedsHonestVectors ? honestVectors : [], unchecked(seed * 1_000_003 + (int)t * 131 + i)), vectors[i]);
            }
            if (median)
            {
                for (var j = 0; j < d; j++)
                {
                    for (var i = 0; i < m; i++) column[i] = vectors[i][j];
                    Array.Sort(column);
                    aggregate[j] = column[m / 2];
                }
            }
            else
            {
                Array.Clear(aggregate);
                foreach (var v in vectors) TensorPrimitives.Add(aggregate, v, aggregate);
                TensorPrimitives.Multiply(aggregate, 1f / m, aggregate);
            }
            server.Step(aggregate);
        }
        return model.Evaluate(server.Query, test).Accuracy;
    }
}
