using System.Runtime.InteropServices;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AkkaByz.Torch.Models;

/// <summary>
/// A TorchSharp network seen as a gradient oracle over one flat float32 vector (the <see cref="IGradientModel"/>
/// contract). The flat vector is the concatenation, in <c>named_parameters()</c> order, of every parameter tensor
/// in row-major order (<see cref="Layout"/>); nothing else is state: the network holds no buffers (BatchNorm layers
/// are built with <c>track_running_stats = false</c>, see below), so two workers holding the same vector compute the
/// same function, and the vector alone is what is averaged, attacked, aggregated and checkpointed.
/// <para>
/// Each call copies the vector into the module's parameter tensors (a memcpy per tensor through
/// <see cref="Tensor.bytes"/>), runs the step inside a <see cref="torch.NewDisposeScope"/> (every temporary tensor,
/// autograd graph and gradient is freed at the end of the call — without it RSS grows without bound; docs/torch.md), and
/// copies the gradients back out the same way.
/// </para>
/// <para>
/// BatchNorm: always normalises with the statistics of the batch at hand, in training and in evaluation. Gradients
/// therefore depend only on (parameters, minibatch), never on running averages that workers would have to
/// synchronise. <see cref="Evaluate"/> splits the data set into nearly equal chunks of at most
/// <see cref="EvaluationBatchSize"/> samples (so no chunk is tiny) and normalises each chunk with its own statistics:
/// deterministic, and for chunks of a few hundred samples the statistics are close to population statistics.
/// </para>
/// Not thread-safe: one call at a time per instance (the contract); instances are interchangeable. Intra-op threads are process-wide
/// (<see cref="TorchRuntime.EnsureLoaded"/>).
/// </summary>
public class TorchModel : IGradientModel
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly Parameter[] _parameters;
    private readonly ParameterSlot[] _slots;
    private bool _disposed;

    /// <param name="name">Config name, e.g. <c>cnn-mnist</c>.</param>
    /// <param name="shape">Shape of one input sample (C × H × W).</param>
    /// <param name="classCount">Number of output logits.</param>
    /// <param name="network">Maps a batch [B, C, H, W] float32 to logits [B, classCount]; owned (disposed) by this model.
    /// Its parameters must belong to Conv/Linear layers (weight, bias) or BatchNorm layers; it must hold no buffers.</param>
    /// <param name="evaluationBatchSize">Largest chunk <see cref="Evaluate"/> runs at once.</param>
    public TorchModel(string name, SampleShape shape, int classCount, nn.Module<Tensor, Tensor> network, int evaluationBatchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (classCount < 2) throw new ArgumentException($"A classifier needs at least 2 classes, got {classCount}.", nameof(classCount));
        if (evaluationBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(evaluationBatchSize), evaluationBatchSize, "must be positive");
        Name = name;
        Shape = shape;
        ClassCount = classCount;
        EvaluationBatchSize = evaluationBatchSize;
        _network = network;

        var buffers = network.named_buffers().Select(b => b.name).ToArray();
        if (buffers.Length > 0)
            throw new ArgumentException($"Model '{name}': the network holds buffers ({string.Join(", ", buffers)}); " +
                                        "the flat parameter vector would not be its whole state (build BatchNorm with track_running_stats: false).", nameof(network));

        var modules = network.named_modules().ToDictionary(m => m.name, m => m.module);
        var named = network.named_parameters().ToArray();
        _parameters = new Parameter[named.Length];
        _slots = new ParameterSlot[named.Length];
        var fanIn = new Dictionary<string, int>();
        int offset = 0;
        for (int i = 0; i < named.Length; i++)
        {
            var (pname, p) = named[i];
            if (p.dtype != ScalarType.Float32 || p.device_type != DeviceType.CPU || !p.is_contiguous())
                throw new ArgumentException($"Model '{name}': parameter {pname} must be a contiguous float32 CPU tensor (is {p.dtype} on {p.device_type}).", nameof(network));
            int dot = pname.LastIndexOf('.');
            string owner = dot < 0 ? "" : pname[..dot];
            string leaf = pname[(dot + 1)..];
            var module = modules.GetValueOrDefault(owner);
            long[] pshape = p.shape;
            var role = (module, leaf) switch
            {
                (BatchNorm2d or BatchNorm1d, "weight") => ParameterRole.NormScale,
                (BatchNorm2d or BatchNorm1d, "bias") => ParameterRole.NormShift,
                (_, "weight") => ParameterRole.Weight,
                (_, "bias") => ParameterRole.Bias,
                _ => throw new ArgumentException($"Model '{name}': cannot tell how to initialise parameter {pname}.", nameof(network)),
            };
            int fan = 1;
            if (role == ParameterRole.Weight)
            {
                for (int k = 1; k < pshape.Length; k++) fan *= (int)pshape[k];
                fanIn[owner] = fan;
            }
            else if (role == ParameterRole.Bias && !fanIn.TryGetValue(owner, out fan))
            {
                throw new ArgumentException($"Model '{name}': bias {pname} comes before its layer's weight.", nameof(network));
            }
            long length = p.numel();
            if (offset + length > int.MaxValue) throw new ArgumentException($"Model '{name}' has more than 2^31 parameters.", nameof(network));
            _slots[i] = new ParameterSlot(pname, offset, (int)length, pshape, role, fan);
            _parameters[i] = p;
            offset += (int)length;
        }
        ParameterCount = offset;
    }

    public string Name { get; }

    public int ParameterCount { get; }

    /// <summary>Shape of one input sample.</summary>
    public SampleShape Shape { get; }

    /// <summary>Number of classes (logits).</summary>
    public int ClassCount { get; }

    /// <summary>Largest chunk evaluated at once (and over which BatchNorm statistics are taken in evaluation).</summary>
    public int EvaluationBatchSize { get; }

    /// <summary>Where each parameter tensor lives in the flat vector.</summary>
    public IReadOnlyList<ParameterSlot> Layout => _slots;

    /// <summary>The underlying network (for tests and tools; its parameters are overwritten on every call).</summary>
    internal nn.Module<Tensor, Tensor> Network => _network;

    /// <summary>
    /// Seeded initialisation written straight into the flat vector with <see cref="Random"/>(seed) (stable across
    /// .NET versions and machines, independent of libtorch's generator): conv/linear weights and biases
    /// U(−1/√fan_in, 1/√fan_in) as PyTorch's defaults, BatchNorm γ = 1, β = 0.
    /// </summary>
    public void Initialize(Span<float> parameters, int seed)
    {
        CheckLength(parameters.Length, nameof(parameters));
        var rng = new Random(seed);
        foreach (var s in _slots)
        {
            var dst = parameters.Slice(s.Offset, s.Length);
            switch (s.Role)
            {
                case ParameterRole.NormScale: dst.Fill(1f); break;
                case ParameterRole.NormShift: dst.Clear(); break;
                default:
                    double bound = 1.0 / Math.Sqrt(s.FanIn);
                    for (int i = 0; i < dst.Length; i++) dst[i] = (float)((2 * rng.NextDouble() - 1) * bound);
                    break;
            }
        }
    }

    /// <summary>Mean cross-entropy over the minibatch and its gradient (BatchNorm on batch statistics).</summary>
    public double LossAndGradient(ReadOnlySpan<float> parameters, DataSet data, ReadOnlySpan<int> batch, Span<float> gradient)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        TorchRuntime.ApplyToCurrentThread(); // before any torch call on this thread: its first matrix product included
        CheckLength(parameters.Length, nameof(parameters));
        CheckLength(gradient.Length, nameof(gradient));
        CheckData(data);
        if (batch.IsEmpty) throw new ArgumentException("The minibatch is empty.", nameof(batch));

        TorchProfiler.CountCall();
        long t = TorchProfiler.Start();
        double value;
        using (NewDisposeScope())
        {
            LoadParameters(parameters);
            _network.zero_grad(set_to_none: true);
            _network.train();
            t = TorchProfiler.Lap(TorchProfiler.Phase.CopyIn, t);
            var x = MakeInput(data, batch);
            var y = MakeLabels(data, batch);
            t = TorchProfiler.Lap(TorchProfiler.Phase.Input, t);
            var logits = _network.call(x);
            var loss = nn.functional.cross_entropy(logits, y);
            t = TorchProfiler.Lap(TorchProfiler.Phase.Forward, t);
            loss.backward();
            value = loss.item<float>();
            t = TorchProfiler.Lap(TorchProfiler.Phase.Backward, t);
            StoreGradients(gradient);
            _network.zero_grad(set_to_none: true);
        }
        // (the scope has freed the batch, the graph and the gradients: counted with the copy-out)
        TorchProfiler.Lap(TorchProfiler.Phase.CopyOut, t);
        return value;
    }

    /// <summary>Mean cross-entropy and accuracy over all of <paramref name="data"/>, in near-equal chunks without autograd.</summary>
    public Evaluation Evaluate(ReadOnlySpan<float> parameters, DataSet data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        TorchRuntime.ApplyToCurrentThread();
        CheckLength(parameters.Length, nameof(parameters));
        CheckData(data);
        if (data.Count == 0) throw new ArgumentException($"Data set '{data.Name}' is empty.", nameof(data));

        int chunks = (data.Count + EvaluationBatchSize - 1) / EvaluationBatchSize;
        double lossSum = 0;
        long correct = 0;
        int[] indices = new int[(data.Count + chunks - 1) / chunks];
        using (no_grad())
        {
            LoadParameters(parameters);
            _network.eval();
            int start = 0;
            for (int c = 0; c < chunks; c++)
            {
                int end = (int)((long)data.Count * (c + 1) / chunks);
                int n = end - start;
                for (int i = 0; i < n; i++) indices[i] = start + i;
                using var scope = NewDisposeScope();
                var idx = indices.AsSpan(0, n);
                var logits = _network.call(MakeInput(data, idx));
                var y = MakeLabels(data, idx);
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(y).sum().item<long>();
                start = end;
            }
        }
        return new Evaluation(lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>Copies the flat vector into the module's parameter tensors (one memcpy per tensor).</summary>
    internal void LoadParameters(ReadOnlySpan<float> parameters)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            MemoryMarshal.AsBytes(parameters.Slice(s.Offset, s.Length)).CopyTo(_parameters[i].bytes);
        }
    }

    /// <summary>Copies the module's parameter tensors into the flat vector (inverse of <see cref="LoadParameters"/>).</summary>
    internal void StoreParameters(Span<float> parameters)
    {
        CheckLength(parameters.Length, nameof(parameters));
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            _parameters[i].bytes.CopyTo(MemoryMarshal.AsBytes(parameters.Slice(s.Offset, s.Length)));
        }
    }

    private void StoreGradients(Span<float> gradient)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            var dst = gradient.Slice(s.Offset, s.Length);
            var g = _parameters[i].grad;
            if (g is null) { dst.Clear(); continue; } // parameter not on the loss's path
            if (!g.is_contiguous()) g = g.contiguous();
            g.bytes.CopyTo(MemoryMarshal.AsBytes(dst));
        }
    }

    private Tensor MakeInput(DataSet data, ReadOnlySpan<int> batch)
    {
        int f = data.FeatureCount;
        var x = empty([batch.Length, Shape.Channels, Shape.Height, Shape.Width], ScalarType.Float32);
        var dst = MemoryMarshal.Cast<byte, float>(x.bytes);
        var features = data.Features.AsSpan();
        for (int i = 0; i < batch.Length; i++)
        {
            int j = batch[i];
            if ((uint)j >= (uint)data.Count)
                throw new ArgumentOutOfRangeException(nameof(batch), j, $"Minibatch index outside data set '{data.Name}' of {data.Count} samples.");
            features.Slice(j * f, f).CopyTo(dst.Slice(i * f, f));
        }
        return x;
    }

    private static Tensor MakeLabels(DataSet data, ReadOnlySpan<int> batch)
    {
        var y = empty(batch.Length, ScalarType.Int64);
        var dst = MemoryMarshal.Cast<byte, long>(y.bytes);
        for (int i = 0; i < batch.Length; i++) dst[i] = data.Labels[batch[i]];
        return y;
    }

    private void CheckLength(int length, string what)
    {
        if (length != ParameterCount)
            throw new ArgumentException($"Model '{Name}': {what} has length {length}, expected {ParameterCount}.", what);
    }

    private void CheckData(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Shape != Shape)
            throw new ArgumentException($"Model '{Name}' takes samples of shape {Shape}; data set '{data.Name}' has {data.Shape}.", nameof(data));
        if (data.ClassCount > ClassCount)
            throw new ArgumentException($"Model '{Name}' has {ClassCount} outputs; data set '{data.Name}' has {data.ClassCount} classes.", nameof(data));
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (disposing) _network.Dispose();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
