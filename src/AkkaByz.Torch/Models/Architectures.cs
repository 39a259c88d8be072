using AkkaByz.Core.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AkkaByz.Torch.Models;

/// <summary>
/// The networks behind <see cref="TorchModels"/>. Every BatchNorm is built with <c>track_running_stats: false</c>
/// (batch statistics always; no buffers; see <see cref="TorchModel"/>).
/// </summary>
public static class Architectures
{
    /// <summary>
    /// Multilayer perceptron: flatten, then Linear → ReLU for each hidden size, then Linear → classes.
    /// Fashion-MNIST with one hidden layer of 128: 784·128 + 128 + 128·10 + 10 = 101,770 parameters.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Mlp(SampleShape shape, int classCount, IReadOnlyList<int> hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("flatten", nn.Flatten()) };
        long width = shape.Size;
        for (int i = 0; i < hidden.Count; i++)
        {
            if (hidden[i] < 1) throw new ArgumentException($"MLP hidden layer {i} has size {hidden[i]}; sizes must be positive.", nameof(hidden));
            layers.Add(($"fc{i + 1}", nn.Linear(width, hidden[i])));
            layers.Add(($"relu{i + 1}", nn.ReLU()));
            width = hidden[i];
        }
        layers.Add(("out", nn.Linear(width, classCount)));
        return nn.Sequential(layers);
    }

    /// <summary>
    /// The MNIST CNN of Dahan &amp; Levy (ICML 2024): Conv 1→16 k5 p2, BN, ReLU, MaxPool 2, Conv 16→32 k5 p2, BN, ReLU,
    /// MaxPool 2, Linear 32·7·7 = 1568 → 10. On 1×28×28: 416 + 32 + 12,832 + 64 + 15,690 = 29,034 parameters.
    /// Other C×H×W inputs work (the linear layer takes 32·⌊H/4⌋·⌊W/4⌋).
    /// </summary>
    public static nn.Module<Tensor, Tensor> MnistCnn(SampleShape shape, int classCount)
    {
        RequireSpatial(shape, 4, "cnn-mnist");
        long flat = 32L * (shape.Height / 4) * (shape.Width / 4);
        return nn.Sequential(
            ("conv1", nn.Conv2d(shape.Channels, 16, kernel_size: 5, padding: 2)),
            ("bn1", Bn(16)),
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, kernel_size: 5, padding: 2)),
            ("bn2", Bn(32)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(flat, classCount)));
    }

    /// <summary>
    /// CIFAR-10 CNN (VGG-style, three stages): [Conv 3→32 k3 p1, BN, ReLU, Conv 32→32 k3 p1, BN, ReLU, MaxPool 2],
    /// [Conv 32→64, BN, ReLU, Conv 64→64, BN, ReLU, MaxPool 2], [Conv 64→128, BN, ReLU, MaxPool 2], Linear 128·4·4 =
    /// 2048 → 10. On 3×32×32: 896 + 64 + 9,248 + 64 + 18,496 + 128 + 36,928 + 128 + 73,856 + 256 + 20,490 =
    /// 160,554 parameters.
    /// </summary>
    public static nn.Module<Tensor, Tensor> CifarCnn(SampleShape shape, int classCount)
    {
        RequireSpatial(shape, 8, "cnn-cifar");
        long flat = 128L * (shape.Height / 8) * (shape.Width / 8);
        return nn.Sequential(
            ("conv1", Conv3(shape.Channels, 32)), ("bn1", Bn(32)), ("relu1", nn.ReLU()),
            ("conv2", Conv3(32, 32)), ("bn2", Bn(32)), ("relu2", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv3", Conv3(32, 64)), ("bn3", Bn(64)), ("relu3", nn.ReLU()),
            ("conv4", Conv3(64, 64)), ("bn4", Bn(64)), ("relu4", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),
            ("conv5", Conv3(64, 128)), ("bn5", Bn(128)), ("relu5", nn.ReLU()),
            ("pool3", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(flat, classCount)));
    }

    private static Conv2d Conv3(long inChannels, long outChannels) => nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);

    private static BatchNorm2d Bn(long features) => nn.BatchNorm2d(features, track_running_stats: false);

    private static void RequireSpatial(SampleShape shape, int factor, string name)
    {
        if (shape.Height < factor || shape.Width < factor)
            throw new ArgumentException($"Model '{name}' needs images of at least {factor}×{factor} pixels; got samples of shape {shape}.", nameof(shape));
    }
}
