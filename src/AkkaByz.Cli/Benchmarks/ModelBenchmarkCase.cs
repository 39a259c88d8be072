using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Torch;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>One model the models benchmark can time: its name, input shape, classes and a factory (one instance per worker).</summary>
/// <param name="UsesTorchThreads">Whether the model runs on libtorch, so that intra-op torch threads mean something.</param>
public sealed record ModelBenchmarkCase(string Name, SampleShape Shape, int ClassCount, Func<int, IGradientModel> Create, bool UsesTorchThreads = true)
{
    private static readonly SampleShape Mnist = new(1, 28, 28);
    private static readonly SampleShape Cifar = new(3, 32, 32);

    /// <summary>
    /// Every benchmarkable model; the factory argument is libtorch's intra-op thread count. Adding a model is one line here.
    /// </summary>
    public static IReadOnlyList<ModelBenchmarkCase> All { get; } =
    [
        new("logreg", Mnist, 10, _ => new LogisticRegression(Mnist.Size, 10), UsesTorchThreads: false),
        new("mlp", Mnist, 10, threads => TorchModels.Create("mlp", Mnist, 10, threads)),
        new("cnn-mnist", Mnist, 10, threads => TorchModels.Create("cnn-mnist", Mnist, 10, threads)),
        new("cnn-cifar", Cifar, 10, threads => TorchModels.Create("cnn-cifar", Cifar, 10, threads)),
    ];
}
