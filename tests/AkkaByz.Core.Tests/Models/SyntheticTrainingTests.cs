using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using Xunit.Abstractions;

namespace AkkaByz.Core.Tests.Models;

public class SyntheticTrainingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.Mu2Sgd)]
    public void Logistic_regression_learns_the_synthetic_task_well_above_chance_but_not_perfectly(OptimizerKind kind)
    {
        var (train, test) = SyntheticTask.Generate();
        var model = LogisticRegression.For(train);
        var x = Training.Run(model, train, OptimizerOptions.For(kind, 0.1f), workers: 4, rounds: 300, batch: 8, seed: 1);
        var evaluation = model.Evaluate(x, test);
        output.WriteLine($"{kind}: synthetic test loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:F4}");
        Assert.InRange(evaluation.Accuracy, 0.7, 0.95);
    }
}
