using AkkaByz.Core.Data;
using AkkaByz.Torch.Models;

namespace AkkaByz.Torch.Tests;

/// <summary>The batched prototype (bench engine) returns each job's own gradient: its points, its batch, its BatchNorm statistics.</summary>
public class BatchedMnistCnnTests
{
    private static readonly SampleShape Mnist = new(1, 28, 28);

    [Fact]
    public void Each_job_of_a_batched_call_gets_the_gradient_of_its_own_point_and_minibatch()
    {
        using var model = TorchModels.Create("cnn-mnist", Mnist, 10, threads: 1);
        var data = TestData.Synthetic(Mnist, 10, 200, seed: 4);
        var rng = new Random(5);
        const int jobs = 5, batch = 4;
        var points = new float[jobs][];
        var batches = new int[jobs][];
        var gradients = new float[jobs][];
        for (var j = 0; j < jobs; j++)
        {
            points[j] = new float[model.ParameterCount];
            model.Initialize(points[j], 10 + j);
            batches[j] = Enumerable.Range(0, batch).Select(_ => rng.Next(data.Count)).ToArray();
            gradients[j] = new float[model.ParameterCount];
        }
        var losses = new double[jobs];
        new BatchedMnistCnn(model).LossAndGradients(points, data, batches, gradients, losses);

        var reference = new float[model.ParameterCount];
        for (var j = 0; j < jobs; j++)
        {
            var loss = model.LossAndGradient(points[j], data, batches[j], reference);
            Assert.Equal(loss, losses[j], 4);
            var scale = reference.Max(Math.Abs);
            var diff = reference.Zip(gradients[j], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff <= 1e-4 * scale, $"job {j}: max |batched − per call| = {diff}, largest coordinate {scale}");
            if (j > 0) Assert.NotEqual(gradients[j - 1], gradients[j]); // the jobs really differ
        }
    }

    [Fact]
    public void Only_the_mnist_cnn_is_batched()
    {
        using var mlp = TorchModels.Create("mlp", Mnist, 10, threads: 1);
        Assert.Throws<ArgumentException>(() => new BatchedMnistCnn(mlp));
    }
}
