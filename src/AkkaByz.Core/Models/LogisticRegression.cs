using System.Numerics.Tensors;
using AkkaByz.Core.Data;

namespace AkkaByz.Core.Models;

/// <summary>
/// Multinomial logistic regression (softmax regression), the convex model of the paper's theory setting.
/// Parameters, flat: W (C × D, row-major, row c = class c's weights) followed by b (C).
/// For a sample (x, y): logits z = W x + b, p = softmax(z) (computed stably, max subtracted),
/// loss = −log p_y; over a minibatch B the loss is the mean and ∇W = (1/|B|) Σ (p − e_y) xᵀ, ∇b = (1/|B|) Σ (p − e_y).
/// Losses are accumulated in double. Holds a C-length scratch buffer: one instance per worker (not thread-safe).
/// </summary>
public sealed class LogisticRegression : IGradientModel
{
    private readonly float[] _scratch;

    /// <param name="featureCount">D, features per sample.</param>
    /// <param name="classCount">C, number of classes (≥ 2).</param>
    /// <param name="initScale">Standard deviation of the seeded Gaussian initialisation of W (b starts at 0). Default 0.01.</param>
    public LogisticRegression(int featureCount, int classCount, float initScale = 0.01f)
    {
        if (featureCount < 1) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "Need at least one feature.");
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Need at least two classes.");
        if (!float.IsFinite(initScale) || initScale < 0) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "Must be finite and ≥ 0.");
        FeatureCount = featureCount;
        ClassCount = classCount;
        InitScale = initScale;
        _scratch = new float[classCount];
    }

    /// <summary>A model sized for <paramref name="data"/>.</summary>
    public static LogisticRegression For(DataSet data) => new(data.FeatureCount, data.ClassCount);

    public string Name => "logreg";
    public int FeatureCount { get; }
    public int ClassCount { get; }
    public float InitScale { get; }
    public int ParameterCount => ClassCount * FeatureCount + ClassCount;

    public void Initialize(Span<float> parameters, int seed)
    {
        CheckParameters(parameters.Length);
        var rng = new Random(seed);
        var weights = ClassCount * FeatureCount;
        for (var i = 0; i < weights; i++)
        {
            // Box–Muller
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            parameters[i] = (float)(InitScale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        parameters[weights..].Clear();
    }

    public double LossAndGradient(ReadOnlySpan<float> parameters, DataSet data, ReadOnlySpan<int> batch, Span<float> gradient)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckParameters(parameters.Length);
        CheckData(data);
        if (gradient.Length != ParameterCount)
            throw new ArgumentException($"Gradient buffer has length {gradient.Length}, the model has {ParameterCount} parameters.", nameof(gradient));
        if (batch.Length == 0) throw new ArgumentException("The minibatch is empty.", nameof(batch));

        int c = ClassCount, d = FeatureCount;
        var weights = parameters[..(c * d)];
        var bias = parameters[(c * d)..];
        var gradW = gradient[..(c * d)];
        var gradB = gradient[(c * d)..];
        gradient.Clear();
        var p = _scratch.AsSpan();
        var loss = 0.0;
        foreach (var index in batch)
        {
            if ((uint)index >= (uint)data.Count)
                throw new ArgumentOutOfRangeException(nameof(batch), index, $"Sample index outside 0..{data.Count - 1}.");
            var x = data.Sample(index);
            var y = data.Labels[index];
            loss += Softmax(weights, bias, x, y, p);
            p[y] -= 1f; // p − e_y
            for (var k = 0; k < c; k++)
            {
                var coef = p[k];
                if (coef == 0f) continue;
                var row = gradW.Slice(k * d, d);
                TensorPrimitives.MultiplyAdd(x, coef, row, row);
            }
            TensorPrimitives.Add(gradB, p, gradB);
        }
        TensorPrimitives.Multiply(gradient, 1f / batch.Length, gradient);
        return loss / batch.Length;
    }

    public Evaluation Evaluate(ReadOnlySpan<float> parameters, DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckParameters(parameters.Length);
        CheckData(data);
        if (data.Count == 0) throw new ArgumentException($"Data set '{data.Name}' is empty.", nameof(data));
        var theta = parameters.ToArray();
        int c = ClassCount, d = FeatureCount;
        const int Block = 1024;
        var blocks = (data.Count + Block - 1) / Block;
        var losses = new double[blocks];
        var correct = new int[blocks];
        Parallel.For(0, blocks, b =>
        {
            Span<float> p = c <= 256 ? stackalloc float[c] : new float[c];
            var weights = theta.AsSpan(0, c * d);
            var bias = theta.AsSpan(c * d, c);
            double loss = 0;
            var right = 0;
            var end = Math.Min(data.Count, (b + 1) * Block);
            for (var i = b * Block; i < end; i++)
            {
                var y = data.Labels[i];
                loss += Softmax(weights, bias, data.Sample(i), y, p);
                if (TensorPrimitives.IndexOfMax((ReadOnlySpan<float>)p) == y) right++;
            }
            losses[b] = loss;
            correct[b] = right;
        });
        return new Evaluation(losses.Sum() / data.Count, (double)correct.Sum() / data.Count);
    }

    /// <summary>Predicted class (argmax of the logits) of one sample.</summary>
    public int Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> sample)
    {
        CheckParameters(parameters.Length);
        if (sample.Length != FeatureCount)
            throw new ArgumentException($"Sample has {sample.Length} features, the model expects {FeatureCount}.", nameof(sample));
        Softmax(parameters[..(ClassCount * FeatureCount)], parameters[(ClassCount * FeatureCount)..], sample, -1, _scratch);
        return TensorPrimitives.IndexOfMax((ReadOnlySpan<float>)_scratch);
    }

    /// <summary>
    /// Writes p = softmax(W x + b) into <paramref name="p"/>, stably (the maximum logit is subtracted before exp),
    /// and returns the cross-entropy −log p_y = log Σ_k exp(z_k − z_max) − (z_y − z_max), computed in double from
    /// the logits, so it stays exact when p_y underflows.
    /// </summary>
    private double Softmax(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int y, Span<float> p)
    {
        int c = ClassCount, d = FeatureCount;
        for (var k = 0; k < c; k++) p[k] = TensorPrimitives.Dot(weights.Slice(k * d, d), x) + bias[k];
        var max = TensorPrimitives.Max((ReadOnlySpan<float>)p);
        TensorPrimitives.Subtract(p, max, p);
        var shiftedY = y >= 0 ? p[y] : 0f;
        TensorPrimitives.Exp(p, p);
        double sum = 0;
        for (var k = 0; k < c; k++) sum += p[k];
        TensorPrimitives.Multiply(p, (float)(1.0 / sum), p);
        return Math.Log(sum) - shiftedY;
    }

    private void CheckParameters(int length)
    {
        if (length != ParameterCount)
            throw new ArgumentException($"Parameter vector has length {length}, the model ({ClassCount} classes × {FeatureCount} features + bias) has {ParameterCount}.", "parameters");
    }

    private void CheckData(DataSet data)
    {
        if (data.FeatureCount != FeatureCount)
            throw new ArgumentException($"Data set '{data.Name}' has {data.FeatureCount} features per sample, the model expects {FeatureCount}.", nameof(data));
        if (data.ClassCount > ClassCount)
            throw new ArgumentException($"Data set '{data.Name}' has {data.ClassCount} classes, the model only {ClassCount}.", nameof(data));
    }

    public void Dispose() { }
}
