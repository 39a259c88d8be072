using AkkaByz.Core.Data;
using AkkaByz.Torch.Models;

namespace AkkaByz.Torch;

/// <summary>Factory for the TorchSharp models by config name: <c>mlp</c>, <c>cnn-mnist</c>, <c>cnn-cifar</c>.</summary>
public static class TorchModels
{
    /// <summary>Valid model names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "cnn-mnist", "cnn-cifar"];

    /// <summary>Hidden layer sizes of <c>mlp</c> when none are given.</summary>
    public static IReadOnlyList<int> DefaultMlpHidden { get; } = [128];

    /// <summary>
    /// Loads the native runtime (<see cref="TorchRuntime.EnsureLoaded"/> with <paramref name="threads"/> intra-op
    /// threads, process-wide) and builds model <paramref name="name"/> for samples of <paramref name="shape"/>.
    /// </summary>
    /// <param name="mlpHidden">Hidden sizes for <c>mlp</c> (default <see cref="DefaultMlpHidden"/>); ignored otherwise.</param>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones) or unsuitable shape.</exception>
    /// <exception cref="TorchRuntimeException">The native library cannot be loaded.</exception>
    public static TorchModel Create(string name, SampleShape shape, int classCount, int threads = 1, IReadOnlyList<int>? mlpHidden = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name))
            throw new ArgumentException($"Unknown TorchSharp model '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
        if (shape.Size <= 0) throw new ArgumentException($"Sample shape {shape} has no features.", nameof(shape));
        if (classCount < 2) throw new ArgumentException($"A classifier needs at least 2 classes, got {classCount}.", nameof(classCount));
        TorchRuntime.EnsureLoaded(threads);
        var network = name switch
        {
            "mlp" => Architectures.Mlp(shape, classCount, mlpHidden ?? DefaultMlpHidden),
            "cnn-mnist" => Architectures.MnistCnn(shape, classCount),
            _ => Architectures.CifarCnn(shape, classCount),
        };
        return new TorchModel(name, shape, classCount, network);
    }
}
