using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;

namespace AkkaByz.Core.Tests.Models;

/// <summary>A minimal single-process training loop (m honest workers, mean aggregation) for tests.</summary>
internal static class Training
{
    /// <summary>Trains and returns the final query point.</summary>
    public static float[] Run(IGradientModel model, DataSet train, OptimizerOptions options, int workers, int rounds, int batch, int seed)
    {
        var theta = new float[model.ParameterCount];
        model.Initialize(theta, seed);
        var server = OptimizerFactory.CreateServer(options, theta);
        var shards = Partitioner.Iid(train.Count, workers, seed);
        var samplers = shards.Select((s, i) => new MinibatchSampler(s, seed, i)).ToArray();
        var opts = Enumerable.Range(0, workers).Select(_ => OptimizerFactory.CreateWorker(options)).ToArray();
        var updates = Enumerable.Range(0, workers).Select(_ => new float[model.ParameterCount]).ToArray();
        var indices = new int[batch];
        var aggregate = new float[model.ParameterCount];
        for (var t = 1; t <= rounds; t++)
        {
            var x = server.Query.ToArray();
            for (var i = 0; i < workers; i++)
            {
                samplers[i].Batch(t, indices);
                var idx = indices;
                opts[i].ComputeUpdate(t, x, (p, g) => model.LossAndGradient(p, train, idx, g), updates[i]);
            }
            Array.Clear(aggregate);
            foreach (var u in updates) System.Numerics.Tensors.TensorPrimitives.Add(aggregate, u, aggregate);
            System.Numerics.Tensors.TensorPrimitives.Multiply(aggregate, 1f / workers, aggregate);
            server.Step(aggregate);
        }
        return server.Query.ToArray();
    }
}
