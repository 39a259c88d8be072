using System.Runtime.InteropServices;
using AkkaByz.Core.Data;
using static TorchSharp.torch;

namespace AkkaByz.Torch.Models;

/// <summary>
/// Gradients of many <c>cnn-mnist</c> calls in one forward/backward pass (a prototype of a node-local gradient
/// engine, measured by <c>akkabyz bench engine</c>). Job k has its own flat parameter vector and its own minibatch of
/// B samples (B equal across jobs); the jobs' weights are stacked and the convolutions run grouped (groups = K), so
/// job k's samples only meet job k's weights; each BatchNorm channel of the grouped tensor is one (job, channel)
/// pair, normalised over that job's own B samples — each worker keeps its BatchNorm statistics to its own batch; the
/// linear layer is a batched matrix product. The loss is the sum over jobs of each job's mean cross-entropy, so the
/// gradient with respect to job k's slice of the stacked parameters is exactly job k's gradient (up to float rounding:
/// different kernels, not bit-identical to <see cref="TorchModel.LossAndGradient"/>).
/// </summary>
public sealed class BatchedMnistCnn
{
    private readonly IReadOnlyList<ParameterSlot> _slots;
    private readonly SampleShape _shape;
    private readonly int _d;

    /// <param name="model">A <c>cnn-mnist</c> model: its layout (slot offsets and shapes) is used.</param>
    public BatchedMnistCnn(TorchModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Layout.Count != 10 || model.Name != "cnn-mnist")
            throw new ArgumentException($"BatchedMnistCnn computes the cnn-mnist network, not '{model.Name}'.", nameof(model));
        _slots = model.Layout.ToArray();
        _shape = model.Shape;
        _d = model.ParameterCount;
    }

    /// <summary>Computes job k's loss and gradient for every k: parameters[k] at minibatch batches[k] of <paramref name="data"/>.</summary>
    public void LossAndGradients(IReadOnlyList<float[]> parameters, DataSet data, IReadOnlyList<int[]> batches, IReadOnlyList<float[]> gradients, double[] losses)
    {
        TorchRuntime.ApplyToCurrentThread();
        int k = parameters.Count;
        int b = batches[0].Length;
        var shape = _shape;
        int f = data.FeatureCount;
        var slots = _slots;
        using var scope = NewDisposeScope();
        var p = empty([k, _d], ScalarType.Float32);
        var pd = MemoryMarshal.Cast<byte, float>(p.bytes);
        for (int j = 0; j < k; j++) parameters[j].AsSpan().CopyTo(pd.Slice(j * _d, _d));
        p.requires_grad_(true);
        Tensor Slot(int i, params long[] tail)
        {
            var s = slots[i];
            return p.narrow(1, s.Offset, s.Length).reshape(tail);
        }
        // Input: [B, K·C, H, W], job j's b-th sample in channels j·C .. j·C + C − 1 of row b.
        var x = empty([b, k * shape.Channels, shape.Height, shape.Width], ScalarType.Float32);
        var xd = MemoryMarshal.Cast<byte, float>(x.bytes);
        var features = data.Features.AsSpan();
        var y = empty([k, b], ScalarType.Int64);
        var yd = MemoryMarshal.Cast<byte, long>(y.bytes);
        for (int j = 0; j < k; j++)
        {
            var batch = batches[j];
            if (batch.Length != b) throw new ArgumentException("Every job of a batched call needs the same minibatch size.", nameof(batches));
            for (int i = 0; i < b; i++)
            {
                features.Slice(batch[i] * f, f).CopyTo(xd.Slice((i * k + j) * f, f));
                yd[j * b + i] = data.Labels[batch[i]];
            }
        }
        var h = nn.functional.conv2d(x, Slot(0, k * 16, shape.Channels, 5, 5), Slot(1, k * 16), padding: [2, 2], groups: k);
        h = nn.functional.batch_norm(h, null, null, Slot(2, k * 16), Slot(3, k * 16), training: true);
        h = nn.functional.max_pool2d(nn.functional.relu(h), 2);
        h = nn.functional.conv2d(h, Slot(4, k * 32, 16, 5, 5), Slot(5, k * 32), padding: [2, 2], groups: k);
        h = nn.functional.batch_norm(h, null, null, Slot(6, k * 32), Slot(7, k * 32), training: true);
        h = nn.functional.max_pool2d(nn.functional.relu(h), 2);
        long flat = 32L * (shape.Height / 4) * (shape.Width / 4);
        h = h.reshape(b, k, flat).permute(1, 0, 2); // [K, B, flat]
        var w = Slot(8, k, 10, flat);
        var logits = bmm(h, w.transpose(1, 2)) + Slot(9, k, 1, 10); // [K, B, 10]
        var perJob = nn.functional.cross_entropy(logits.reshape(k * b, 10), y.reshape(k * b), reduction: nn.Reduction.None).reshape(k, b).mean([1]);
        perJob.sum().backward();
        var lossValues = perJob.detach().data<float>().ToArray();
        var g = MemoryMarshal.Cast<byte, float>(p.grad!.bytes);
        for (int j = 0; j < k; j++)
        {
            g.Slice(j * _d, _d).CopyTo(gradients[j]);
            losses[j] = lossValues[j];
        }
    }
}
