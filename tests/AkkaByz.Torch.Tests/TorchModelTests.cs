using AkkaByz.Core.Data;
using AkkaByz.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace AkkaByz.Torch.Tests;

public class TorchModelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly SampleShape Mnist = new(1, 28, 28);
    private static readonly SampleShape Cifar = new(3, 32, 32);

    [Fact]
    public void Mnist_cnn_has_the_papers_29034_parameters()
    {
        using var model = TorchModels.Create("cnn-mnist", Mnist, 10);
        Assert.Equal(29_034, model.ParameterCount);
        Assert.Equal(["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias", "fc.weight", "fc.bias"],
            model.Layout.Select(s => s.Name));
        Assert.Equal(1568, model.Layout.Single(s => s.Name == "fc.weight").FanIn);
    }

    [Fact]
    public void Cifar_cnn_and_mlp_have_their_documented_counts()
    {
        using var cifar = TorchModels.Create("cnn-cifar", Cifar, 10);
        Assert.Equal(160_554, cifar.ParameterCount);
        using var mlp = TorchModels.Create("mlp", Mnist, 10);
        Assert.Equal(784 * 128 + 128 + 128 * 10 + 10, mlp.ParameterCount);
        using var deep = TorchModels.Create("mlp", SampleShape.Flat(6), 3, mlpHidden: [5, 4]);
        Assert.Equal(6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3, deep.ParameterCount);
    }

    [Fact]
    public void Unknown_name_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TorchModels.Create("resnet", Mnist, 10));
        Assert.Contains("resnet", e.Message);
        Assert.Contains("mlp, cnn-mnist, cnn-cifar", e.Message);
    }

    [Fact]
    public void Bad_lengths_and_shapes_are_rejected_with_both_sizes()
    {
        using var model = TorchModels.Create("mlp", SampleShape.Flat(6), 3, mlpHidden: [5]);
        var data = TestData.Synthetic(SampleShape.Flat(6), 3, 10, 1);
        var p = new float[model.ParameterCount];
        var e = Assert.Throws<ArgumentException>(() => model.LossAndGradient(p, data, [0, 1], new float[model.ParameterCount - 1]));
        Assert.Contains($"{model.ParameterCount - 1}", e.Message);
        Assert.Contains($"{model.ParameterCount}", e.Message);
        var other = TestData.Synthetic(SampleShape.Flat(7), 3, 10, 1);
        e = Assert.Throws<ArgumentException>(() => model.Evaluate(p, other));
        Assert.Contains("1x1x7", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(p, data, [0, 10], new float[model.ParameterCount]));
        Assert.Throws<ArgumentException>(() => model.LossAndGradient(p, data, [], new float[model.ParameterCount]));
        Assert.Throws<ArgumentException>(() => TorchModels.Create("cnn-cifar", new SampleShape(3, 4, 4), 10));
    }

    [Fact]
    public void A_network_with_running_statistics_is_refused_because_the_vector_would_not_be_its_whole_state()
    {
        TorchRuntime.EnsureLoaded(1);
        var net = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("bn", nn.BatchNorm2d(2)), ("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 26 * 26, 10)));
        var e = Assert.Throws<ArgumentException>(() => new TorchModel("bn-with-buffers", Mnist, 10, net));
        Assert.Contains("running_mean", e.Message);
        net.Dispose();
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn-mnist")]
    [InlineData("cnn-cifar")]
    public void Flatten_unflatten_round_trip_is_exact(string name)
    {
        var shape = name == "cnn-cifar" ? Cifar : Mnist;
        using var model = TorchModels.Create(name, shape, 10);
        var rng = new Random(7);
        var p = new float[model.ParameterCount];
        for (int i = 0; i < p.Length; i++) p[i] = (float)(rng.NextDouble() * 2 - 1) * 1e3f;
        p[0] = float.Epsilon; p[^1] = -0f;
        model.LoadParameters(p);
        var back = new float[p.Length];
        model.StoreParameters(back);
        for (int i = 0; i < p.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(p[i]), BitConverter.SingleToInt32Bits(back[i]));
        // and the layout is where the module's tensors are: fc.bias is the last slot
        var last = model.Layout[^1];
        using var bias = model.Network.named_parameters().Last().parameter.detach().clone();
        Assert.Equal(p.AsSpan(last.Offset, last.Length).ToArray(), bias.data<float>().ToArray());
    }

    [Fact]
    public void Same_seed_gives_same_init_and_same_gradient_different_seed_differs()
    {
        var data = TestData.Synthetic(Mnist, 10, 16, 3);
        int[] batch = [0, 3, 5, 7, 9, 11, 13, 15];
        float[] Run(int seed, out float[] init)
        {
            using var model = TorchModels.Create("cnn-mnist", Mnist, 10);
            init = new float[model.ParameterCount];
            model.Initialize(init, seed);
            var g = new float[model.ParameterCount];
            model.LossAndGradient(init, data, batch, g);
            return g;
        }
        var g1 = Run(42, out var p1);
        var g2 = Run(42, out var p2);
        var g3 = Run(43, out var p3);
        Assert.Equal(p1, p2);
        Assert.Equal(g1, g2);
        Assert.NotEqual(p1, p3);
        Assert.NotEqual(g1, g3);
        // PyTorch-default bounds: conv1 fan_in 25 → |w| ≤ 0.2; BN γ = 1, β = 0
        Assert.All(p1.AsSpan(0, 400).ToArray(), w => Assert.InRange(w, -0.2f, 0.2f));
        Assert.All(p1.AsSpan(416, 16).ToArray(), g => Assert.Equal(1f, g));
        Assert.All(p1.AsSpan(432, 16).ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Repeated_calls_on_one_instance_give_identical_gradients()
    {
        var data = TestData.Synthetic(Mnist, 10, 8, 4);
        using var model = TorchModels.Create("cnn-mnist", Mnist, 10);
        var p = new float[model.ParameterCount];
        model.Initialize(p, 1);
        var g1 = new float[p.Length];
        var g2 = new float[p.Length];
        double l1 = model.LossAndGradient(p, data, [0, 1, 2, 3], g1);
        model.LossAndGradient(p, data, [4, 5, 6, 7], g2); // another batch in between: nothing may accumulate
        double l2 = model.LossAndGradient(p, data, [0, 1, 2, 3], g2);
        Assert.Equal(l1, l2);
        Assert.Equal(g1, g2);
    }

    [Fact]
    public void Workers_on_concurrent_threads_get_the_same_gradients_as_sequentially()
    {
        // Dispose scopes and grad mode are per thread: two workers stepping at once must not disturb each other.
        var data = TestData.Synthetic(Mnist, 10, 64, 6);
        const int steps = 20;
        float[][] Run(int worker)
        {
            using var model = TorchModels.Create("cnn-mnist", Mnist, 10);
            var p = new float[model.ParameterCount];
            model.Initialize(p, worker);
            var rng = new Random(worker);
            var batch = new int[8];
            var grads = new float[steps][];
            for (int t = 0; t < steps; t++)
            {
                for (int i = 0; i < batch.Length; i++) batch[i] = rng.Next(data.Count);
                grads[t] = new float[p.Length];
                model.LossAndGradient(p, data, batch, grads[t]);
                if (t % 5 == 4) model.Evaluate(p, data);
                for (int i = 0; i < p.Length; i++) p[i] -= 0.01f * grads[t][i];
            }
            return grads;
        }
        var sequential = new[] { Run(1), Run(2) };
        var concurrent = new float[2][][];
        var threads = Enumerable.Range(0, 2).Select(w => new Thread(() => concurrent[w] = Run(w + 1))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        for (int w = 0; w < 2; w++)
            for (int t = 0; t < steps; t++)
                Assert.Equal(sequential[w][t], concurrent[w][t]);
    }

    // MKL is linked into libtorch_cpu.so; its per-thread team size is what set_num_threads changes.
    [System.Runtime.InteropServices.DllImport("libtorch_cpu.so", EntryPoint = "mkl_get_max_threads")]
    private static extern int MklMaxThreads();

    [Fact]
    public void A_thread_that_never_configured_torch_is_configured_before_the_models_first_torch_call()
    {
        // libtorch's set_num_threads sets MKL's team size for the CALLING thread only (mkl_set_num_threads_local); a
        // fresh thread starts with MKL's default (every core). Workers stepping on other threads therefore ran matrix
        // products on both cores: oversubscription, and float reductions that varied between runs (measured: 4 MLP
        // workers, same seed, 0.796–0.798 final accuracy; 0.8018 every time once fixed). The model now applies the
        // count before its first torch call on any thread.
        var data = TestData.Synthetic(Mnist, 10, 16, 3);
        using var model = TorchModels.Create("mlp", Mnist, 10, threads: 1);
        var p = new float[model.ParameterCount];
        var g = new float[p.Length];
        int before = -1, after = -1;
        var thread = new Thread(() =>
        {
            before = MklMaxThreads();
            // An empty batch is refused after the thread is configured but before any torch call.
            Assert.Throws<ArgumentException>(() => model.LossAndGradient(p, data, [], g));
            after = MklMaxThreads();
        });
        thread.Start();
        thread.Join();
        output.WriteLine($"MKL threads on a fresh thread: {before} before, {after} after ({Environment.ProcessorCount} cores)");
        Assert.Equal(1, after);
    }

    [Fact]
    public void Mnist_cnn_gradient_equals_autograd_on_a_functional_copy_of_the_paper_network()
    {
        var data = TestData.Synthetic(Mnist, 10, 12, 5);
        int[] batch = [0, 2, 4, 6, 8, 10];
        using var model = TorchModels.Create("cnn-mnist", Mnist, 10);
        var p = new float[model.ParameterCount];
        model.Initialize(p, 9);
        var g = new float[p.Length];
        double loss = model.LossAndGradient(p, data, batch, g);

        // The same network written with functional ops on leaf tensors cut from the flat vector in documented order.
        using var scope = NewDisposeScope();
        int at = 0;
        Tensor Leaf(params long[] shape)
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            var t = tensor(p.AsSpan(at, (int)n).ToArray(), shape).requires_grad_(true);
            at += (int)n;
            return t;
        }
        var w1 = Leaf(16, 1, 5, 5); var b1 = Leaf(16); var g1 = Leaf(16); var be1 = Leaf(16);
        var w2 = Leaf(32, 16, 5, 5); var b2 = Leaf(32); var g2 = Leaf(32); var be2 = Leaf(32);
        var wf = Leaf(10, 1568); var bf = Leaf(10);
        Assert.Equal(p.Length, at);
        var xs = new float[batch.Length * 784];
        var ys = new long[batch.Length];
        for (int i = 0; i < batch.Length; i++) { data.Sample(batch[i]).CopyTo(xs.AsSpan(i * 784)); ys[i] = data.Labels[batch[i]]; }
        var x = tensor(xs, [batch.Length, 1, 28, 28]);
        var h = nn.functional.conv2d(x, w1, b1, padding: [2, 2]);
        h = nn.functional.max_pool2d(nn.functional.relu(nn.functional.batch_norm(h, null, null, g1, be1, training: true)), 2);
        h = nn.functional.conv2d(h, w2, b2, padding: [2, 2]);
        h = nn.functional.max_pool2d(nn.functional.relu(nn.functional.batch_norm(h, null, null, g2, be2, training: true)), 2);
        var logits = nn.functional.linear(h.flatten(1), wf, bf);
        var l = nn.functional.cross_entropy(logits, tensor(ys));
        l.backward();
        var expected = new[] { w1, b1, g1, be1, w2, b2, g2, be2, wf, bf }.SelectMany(t => t.grad!.data<float>().ToArray()).ToArray();

        Assert.Equal(l.item<float>(), loss, 5);
        double maxAbs = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - g[i]) <= 1e-5 * maxAbs + 1e-7, $"coordinate {i}: autograd {expected[i]}, model {g[i]}");
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn-mnist")]
    public void Gradient_matches_central_finite_differences(string name)
    {
        // Tiny models; float32, so differences are taken along a few random unit directions with h = 2e-3.
        var shape = name == "mlp" ? SampleShape.Flat(6) : new SampleShape(1, 8, 8);
        var data = TestData.Synthetic(shape, 3, 8, 11);
        int[] batch = [0, 1, 2, 3, 4, 5, 6, 7];
        using var model = TorchModels.Create(name, shape, 3, mlpHidden: [5]);
        var p = new float[model.ParameterCount];
        model.Initialize(p, 2);
        var g = new float[p.Length];
        model.LossAndGradient(p, data, batch, g);
        var scratch = new float[p.Length];
        var rng = new Random(5);
        const float h = 2e-3f;
        for (int trial = 0; trial < 4; trial++)
        {
            var v = new double[p.Length];
            double norm = 0;
            for (int i = 0; i < v.Length; i++) { v[i] = rng.NextDouble() * 2 - 1; norm += v[i] * v[i]; }
            norm = Math.Sqrt(norm);
            double directional = 0;
            for (int i = 0; i < v.Length; i++) { v[i] /= norm; directional += v[i] * g[i]; }
            double Loss(float sign)
            {
                for (int i = 0; i < p.Length; i++) scratch[i] = p[i] + sign * h * (float)v[i];
                return model.LossAndGradient(scratch, data, batch, new float[p.Length]);
            }
            double numeric = (Loss(1) - Loss(-1)) / (2 * h);
            Assert.True(Math.Abs(numeric - directional) <= 2e-2 * Math.Abs(directional) + 2e-3,
                $"{name} direction {trial}: finite difference {numeric}, gradient·v {directional}");
        }
    }

    [Fact]
    public void Evaluate_counts_correct_predictions_and_is_deterministic()
    {
        var shape = SampleShape.Flat(6);
        var data = TestData.Synthetic(shape, 3, 601, 12); // 601 → three chunks of ≤ 256
        using var model = TorchModels.Create("mlp", shape, 3, mlpHidden: [5]);
        var p = new float[model.ParameterCount];
        model.Initialize(p, 3);
        var e1 = model.Evaluate(p, data);
        var e2 = model.Evaluate(p, data);
        Assert.Equal(e1, e2);
        Assert.InRange(e1.Accuracy, 0, 1);

        // The MLP has no BatchNorm: the mean loss must equal the minibatch loss over everything.
        var all = Enumerable.Range(0, data.Count).ToArray();
        double loss = model.LossAndGradient(p, data, all, new float[p.Length]);
        Assert.Equal(loss, e1.Loss, 4);
        // Zero weights everywhere except the output bias favouring class k: accuracy = frequency of k.
        Array.Clear(p);
        var outBias = model.Layout[^1];
        p[outBias.Offset + 1] = 5f;
        Assert.Equal(data.Labels.Count(y => y == 1) / (double)data.Count, model.Evaluate(p, data).Accuracy, 12);
    }
}
