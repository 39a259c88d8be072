using AkkaByz.Core.Data;
using Xunit.Abstractions;

namespace AkkaByz.Torch.Tests;

public class LearningTests(ITestOutputHelper output)
{
    [FashionMnistFact]
    public void Mnist_cnn_learns_fashion_mnist_with_plain_sgd_on_the_flat_vector()
    {
        var train = TestData.FashionMnist(train: true, limit: 20_000);
        var test = TestData.FashionMnist(train: false, limit: 2_000);
        using var model = TorchModels.Create("cnn-mnist", train.Shape, 10);
        var x = new float[model.ParameterCount];
        model.Initialize(x, 1);
        var g = new float[x.Length];
        var rng = new Random(2);
        var batch = new int[64];
        const int steps = 300;
        const float lr = 0.05f;
        double before = model.Evaluate(x, test).Accuracy;
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < batch.Length; i++) batch[i] = rng.Next(train.Count);
            double loss = model.LossAndGradient(x, train, batch, g);
            Assert.True(double.IsFinite(loss), $"step {t}: loss {loss}");
            for (int i = 0; i < x.Length; i++) x[i] -= lr * g[i];
        }
        var after = model.Evaluate(x, test);
        output.WriteLine($"cnn-mnist on Fashion-MNIST: accuracy {before:F3} → {after.Accuracy:F3} (loss {after.Loss:F3}) after {steps} SGD steps of 64");
        Assert.InRange(before, 0, 0.3);
        Assert.True(after.Accuracy >= 0.70, $"test accuracy {after.Accuracy:F3} after {steps} steps; chance is 0.10");
    }
}
