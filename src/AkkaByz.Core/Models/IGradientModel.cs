using AkkaByz.Core.Data;

namespace AkkaByz.Core.Models;

/// <summary>
/// A gradient oracle over one flat float32 parameter vector. Instances may hold scratch buffers (and, for
/// TorchSharp models, native modules): one call at a time per instance, not thread-safe. The parameter vector passed
/// in is the whole state: a result depends only on the arguments, never on the instance or the calls it served
/// before, so instances of one model are interchangeable (the runtime's workers share a pool of them).
/// </summary>
public interface IGradientModel : IDisposable
{
    /// <summary>Name as used in config, e.g. <c>logreg</c>, <c>cnn-mnist</c>.</summary>
    string Name { get; }

    /// <summary>Length d of the flat parameter vector.</summary>
    int ParameterCount { get; }

    /// <summary>Writes a seeded initialisation into <paramref name="parameters"/> (length d).</summary>
    void Initialize(Span<float> parameters, int seed);

    /// <summary>
    /// Mean loss over the minibatch <paramref name="batch"/> (indices into <paramref name="data"/>) at
    /// <paramref name="parameters"/>; writes the gradient of that mean loss into <paramref name="gradient"/>.
    /// </summary>
    double LossAndGradient(ReadOnlySpan<float> parameters, DataSet data, ReadOnlySpan<int> batch, Span<float> gradient);

    /// <summary>Mean loss and accuracy (0..1) over all of <paramref name="data"/> at <paramref name="parameters"/>.</summary>
    Evaluation Evaluate(ReadOnlySpan<float> parameters, DataSet data);
}

/// <summary>Loss and accuracy (fraction correct, 0..1) of a model on a data set.</summary>
public readonly record struct Evaluation(double Loss, double Accuracy);
