using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Meta;

/// <summary>
/// NNM(f), nearest-neighbour mixing (Allouah et al., "Fixing by Mixing: A Recipe for Optimal Byzantine ML under
/// Heterogeneity", AISTATS 2023): replace each x_i by the mean of its m − f nearest inputs (itself included; ties by
/// index), then apply the inner rule A. Cost: one blocked pairwise-distance pass (O(m²d) compute) and one blocked
/// mixing pass that reads the input once. When A is coordinate-wise (Mean, CWMed, CWTM, MeaMed) the mixed vectors are
/// never stored whole: block by block of coordinates (m rows of a block ≈ 16 MB) the mixing writes the block's m
/// mixed rows and A aggregates them into the block of the output, so the scratch is m × block floats, not m·d (at
/// m = 128, d = 10^7 that is 16 MB instead of 5 GB). Other inner rules (GeoMed, Krum, MDA, …) need the m mixed
/// vectors at once: they are rented from the shared pool for the call (m·d floats beyond the input while the call
/// runs, reused by the next call of any instance, none held by the instance; <see cref="AggregationScratch"/>).
/// Reports the inner rule's report (mixed vector i stands for input i).
/// </summary>
public sealed class NearestNeighbourMixing : AggregatorBase
{
    private readonly AggregatorBase _inner;
    private readonly double[] _d2;
    private readonly double[] _mix;
    private readonly double[] _row;
    private float[][] _mixed = Array.Empty<float[]>();
    private nint[] _mixedAddr = Array.Empty<nint>();

    /// <param name="inner">A, applied to the mixed vectors (built for the same m and f).</param>
    public NearestNeighbourMixing(AggregatorBase inner) : base(inner.M, inner.F)
    {
        _inner = inner;
        _d2 = new double[M * M];
        _mix = new double[M * M];
        _row = new double[M];
    }

    /// <summary>The inner rule A.</summary>
    public IAggregator Inner => _inner;

    internal override bool HasState => _inner.HasState;

    internal override void BindState(AggregatorState state, ref int next) => _inner.BindState(state, ref next);

    /// <inheritdoc />
    public override string Spec => $"nnm({_inner.Spec})";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int d = output.Length;
        if (!_inner.IsCoordinateWise)
        {
            MixWeights(inputs, d);
            var rows = new float[M][];
            var addr = new nint[M];
            VectorPool.Rent(M, d, rows, addr);
            try
            {
                LinearKernels.Combine(inputs, _mix, M, addr, d, Scratch);
                return _inner.AggregateCore(rows, output, checkFinite: false);
            }
            finally
            {
                VectorPool.Return(rows, M);
            }
        }
        MixWeights(inputs, d);
        int block = Math.Min(d, CoordinateBlock(M));
        EnsureScratch(block);
        AggregationReport report = AggregationReport.None;
        for (int b = 0; b < d; b += block)
        {
            int n = Math.Min(block, d - b);
            LinearKernels.Combine(inputs, _mix, M, _mixedAddr, n, Scratch, start: b);
            report = _inner.AggregateCore(_mixed, output.Slice(b, n), checkFinite: false);
        }
        return report;
    }

    /// <summary>The pairwise distances and the m×m mixing weights (each row: 1/(m − f) on its m − f nearest).</summary>
    private void MixWeights(IReadOnlyList<float[]> inputs, int d)
    {
        if (!DistanceKernels.PairwiseSquaredDistances(inputs, d, _d2, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        int keep = M - F;
        Array.Clear(_mix);
        for (int i = 0; i < M; i++)
        {
            Array.Copy(_d2, i * M, _row, 0, M);
            var order = InputValidation.OrderByKeyThenIndex(_row);
            for (int j = 0; j < keep; j++) _mix[i * M + order[j]] = 1.0 / keep;
        }
    }

    private unsafe void EnsureScratch(int d)
    {
        if (_mixed.Length == M && _mixed[0].Length >= d) return;
        _mixed = new float[M][];
        _mixedAddr = new nint[M];
        for (int i = 0; i < M; i++)
        {
            _mixed[i] = GC.AllocateUninitializedArray<float>(d, pinned: true);
            _mixedAddr[i] = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _mixed[i][0]);
        }
    }
}
