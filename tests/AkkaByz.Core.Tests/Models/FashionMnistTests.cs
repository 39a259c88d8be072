using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using Xunit.Abstractions;

namespace AkkaByz.Core.Tests.Models;

/// <summary>Real data: Fashion-MNIST from Debian's dataset-fashion-mnist (logistic regression reaches ≈ 0.84).</summary>
public class FashionMnistTests(ITestOutputHelper output)
{
    [RequiresFashionMnistFact]
    public void Logistic_regression_learns_fashion_mnist()
    {
        var (train, test) = DataSources.Load("fashion-mnist");
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(new SampleShape(1, 28, 28), train.Shape);
        Assert.Equal(10, train.ClassCount);
        var model = LogisticRegression.For(train);
        var x = Training.Run(model, train, OptimizerOptions.For(OptimizerKind.Momentum, 0.5f), workers: 1, rounds: 600, batch: 64, seed: 1);
        var evaluation = model.Evaluate(x, test);
        output.WriteLine($"Fashion-MNIST logistic regression, 600 momentum steps of batch 64: test loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:F4}");
        Assert.True(evaluation.Accuracy >= 0.75, $"test accuracy {evaluation.Accuracy:F4} < 0.75");
    }
}
