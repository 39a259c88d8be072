using AkkaByz.Core.Data;
using AkkaByz.Core.Models;

namespace AkkaByz.Core.Tests.Models;

public class LogisticRegressionTests
{
    private const int D = 6, C = 4;

    private static DataSet RandomData(int n, int seed)
    {
        var rng = new Random(seed);
        var features = Enumerable.Range(0, n * D).Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray();
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(C)).ToArray();
        return new DataSet("random", features, labels, SampleShape.Flat(D), C);
    }

    /// <summary>Independent mean cross-entropy, all in double.</summary>
    private static double ReferenceLoss(double[] theta, DataSet data, int[] batch)
    {
        double total = 0;
        foreach (var i in batch)
        {
            var z = new double[C];
            for (var c = 0; c < C; c++)
            {
                z[c] = theta[C * D + c];
                for (var j = 0; j < D; j++) z[c] += theta[c * D + j] * data.Features[i * D + j];
            }
            var max = z.Max();
            var lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            total += lse - z[data.Labels[i]];
        }
        return total / batch.Length;
    }

    [Fact]
    public void Gradient_matches_central_finite_differences_of_a_double_precision_reference()
    {
        var data = RandomData(12, 3);
        var model = new LogisticRegression(D, C);
        var theta = new float[model.ParameterCount];
        model.Initialize(theta, 5);
        for (var k = 0; k < theta.Length; k++) theta[k] += 0.3f * MathF.Sin(k); // away from the symmetric start
        int[] batch = [0, 3, 3, 7, 11];
        var gradient = new float[model.ParameterCount];
        var loss = model.LossAndGradient(theta, data, batch, gradient);

        var thetaD = theta.Select(v => (double)v).ToArray();
        Assert.Equal(ReferenceLoss(thetaD, data, batch), loss, 1e-5);
        const double h = 1e-6;
        for (var k = 0; k < theta.Length; k++)
        {
            var plus = (double[])thetaD.Clone();
            var minus = (double[])thetaD.Clone();
            plus[k] += h;
            minus[k] -= h;
            var numeric = (ReferenceLoss(plus, data, batch) - ReferenceLoss(minus, data, batch)) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[k]) < 1e-5, $"parameter {k}: analytic {gradient[k]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Evaluate_agrees_with_per_sample_loss_and_argmax()
    {
        var data = RandomData(3000, 4); // several parallel blocks
        var model = new LogisticRegression(D, C, initScale: 1f);
        var theta = new float[model.ParameterCount];
        model.Initialize(theta, 9);
        var evaluation = model.Evaluate(theta, data);
        var all = Enumerable.Range(0, data.Count).ToArray();
        Assert.Equal(ReferenceLoss(theta.Select(v => (double)v).ToArray(), data, all), evaluation.Loss, 1e-5);
        var correct = all.Count(i => model.Predict(theta, data.Sample(i)) == data.Labels[i]);
        Assert.Equal((double)correct / data.Count, evaluation.Accuracy, 12);
        Assert.InRange(evaluation.Accuracy, 0.05, 0.6); // random weights: near chance, not 0 or 1
    }

    [Fact]
    public void Loss_stays_finite_for_huge_logits()
    {
        var data = RandomData(4, 1);
        var model = new LogisticRegression(D, C);
        var theta = Enumerable.Repeat(1e4f, model.ParameterCount).ToArray();
        theta[0] = -3e4f;
        var gradient = new float[model.ParameterCount];
        var loss = model.LossAndGradient(theta, data, [0, 1, 2, 3], gradient);
        Assert.True(double.IsFinite(loss) && loss >= 0);
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        Assert.True(double.IsFinite(model.Evaluate(theta, data).Loss));
    }

    [Fact]
    public void Initialisation_is_seeded_and_bias_starts_at_zero()
    {
        var model = new LogisticRegression(D, C);
        float[] a = new float[model.ParameterCount], b = new float[model.ParameterCount], c = new float[model.ParameterCount];
        model.Initialize(a, 1);
        model.Initialize(b, 1);
        model.Initialize(c, 2);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a[(C * D)..], v => Assert.Equal(0f, v));
        Assert.Contains(a, v => v != 0f);
    }

    [Fact]
    public void Mismatched_sizes_are_rejected_naming_both()
    {
        var model = new LogisticRegression(D, C);
        var data = RandomData(3, 1);
        var ex = Assert.Throws<ArgumentException>(() => model.LossAndGradient(new float[5], data, [0], new float[model.ParameterCount]));
        Assert.Contains("5", ex.Message);
        Assert.Contains(model.ParameterCount.ToString(), ex.Message);
        var wide = new DataSet("wide", new float[3 * 7], [0, 1, 2], SampleShape.Flat(7), C);
        Assert.Throws<ArgumentException>(() => model.Evaluate(new float[model.ParameterCount], wide));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(new float[model.ParameterCount], data, [3], new float[model.ParameterCount]));
        Assert.Throws<ArgumentException>(() => model.LossAndGradient(new float[model.ParameterCount], data, [], new float[model.ParameterCount]));
    }
}
