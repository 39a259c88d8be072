using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// SMEA(f), smallest-maximum-eigenvalue averaging (Allouah, Guerraoui, Gupta, Pinot &amp; Stephan, "On the
/// privacy-robustness-utility trilemma in distributed learning", ICML 2023): the mean of the (m − f)-subset S whose
/// empirical covariance (1/|S|) Σ_{i∈S} (x_i − μ_S)(x_i − μ_S)ᵀ has the smallest largest eigenvalue (ties: the first
/// subset in index order). One blocked pass builds the m×m squared-distance matrix D in double; a subset's covariance
/// has the nonzero eigenvalues of the |S|×|S| matrix −½ H D_S H / |S| (H the centring matrix), so the search never
/// touches the d coordinates again. The scatter's top eigenvalue can only grow when a member joins (adding a point adds
/// a positive semidefinite rank-one term), so a depth-first search over the subsets in index order prunes every
/// partial subset whose top eigenvalue already exceeds the best complete one (starting from the best of the m
/// "x_i and its m − f − 1 nearest" subsets); with f ≤ 3 the C(m, f) complements are enumerated directly. The exact
/// eigenvalue of every candidate comes from cyclic Jacobi (MathNet's EVD beyond order 24). A weighted-sum pass averages
/// S. Eigenvalues within a relative 1e-9 count as a tie (rounding), broken by index order. Reports S as selected, the
/// other f as suspects.
/// </summary>
public sealed class SmallestMaximumEigenvalue : SubsetMeanRule
{
    /// <summary>Largest C(m, f)·(m − f)³ accepted by the builder (the worst-case search cost, in flops, is about that
    /// times the Jacobi sweeps).</summary>
    public const double MaxWork = 1e10;

    private readonly double[] _a;
    private readonly double[] _work;
    private double _bestValue, _threshold;

    /// <summary>Top eigenvalues within this relative distance count as equal (two solves of congruent sets differ by
    /// rounding); the first subset in index order is then taken.</summary>
    private const double TieTolerance = 1e-9;

    public SmallestMaximumEigenvalue(int m, int f) : base(m, f)
    {
        ValidateBound(m, f);
        int k = m - f;
        _a = new double[k * k];
        _work = new double[k * k];
    }

    /// <inheritdoc />
    public override string Spec => "smea";

    /// <summary>C(m, f)·(m − f)³.</summary>
    public static double Work(int m, int f) => MinimumDiameterAveraging.Subsets(m, f) * Math.Pow(m - f, 3);

    internal static void ValidateBound(int m, int f)
    {
        if (Work(m, f) > MaxWork)
        {
            int fmax = f;
            while (fmax > 0 && Work(m, fmax) > MaxWork) fmax--;
            throw new ArgumentOutOfRangeException(nameof(f),
                FormattableString.Invariant($"SMEA searches the C(m, m − f) subsets exactly, each an eigenproblem of order m − f, and accepts C(m, f)·(m − f)³ ≤ {MaxWork:G3}; got m = {m}, f = {f}: {Work(m, f):G3} (so f at most {fmax} at this m)."));
        }
    }

    /// <summary>Top eigenvalue of the scatter of the first <paramref name="n"/> members of <paramref name="members"/>.</summary>
    private double Value(int[] members, int n)
    {
        if (n < 2) return 0;
        var s = members.AsSpan(0, n);
        var a = _a.AsSpan(0, n * n);
        SpectralKernels.CentredGram(D2, M, s, a);
        return SpectralKernels.TopEigen(a, n, Span<double>.Empty, _work);
    }

    private protected override int[] Search(int k)
    {
        int m = M;
        _bestValue = double.PositiveInfinity;
        if (F == 0)
        {
            for (int i = 0; i < k; i++) Best[i] = i;
            return (int[])Best.Clone();
        }
        if (F <= 3)
        {
            Complements(k);
            return (int[])Best.Clone();
        }
        // Initial threshold: the best of the m subsets "x_i and its k − 1 nearest" (feasible, so a valid bound).
        _threshold = double.PositiveInfinity;
        for (int i = 0; i < m; i++)
        {
            Array.Copy(D2, i * m, Row, 0, m);
            Row[i] = -1; // itself first
            var order = InputValidation.OrderByKeyThenIndex(Row);
            Array.Copy(order, Current, k);
            Array.Sort(Current, 0, k);
            _threshold = Math.Min(_threshold, Value(Current, k));
        }
        Extend(0, 0, k);
        return (int[])Best.Clone();
    }

    /// <summary>Prune a partial subset only when clearly above the threshold (rounding of two eigen-solves of nested
    /// sets must not cut the optimum).</summary>
    private bool Above(double v) => v > _threshold * (1 + 1e-9) + 1e-300;

    private void Extend(int depth, int from, int k)
    {
        int m = M;
        for (int j = from; j <= m - (k - depth); j++)
        {
            Current[depth] = j;
            double v = Value(Current, depth + 1);
            if (Above(v)) continue;
            if (depth + 1 == k)
            {
                if (v < _bestValue * (1 - TieTolerance))
                {
                    _bestValue = v;
                    _threshold = Math.Min(_threshold, v);
                    Array.Copy(Current, Best, k);
                }
            }
            else Extend(depth + 1, j + 1, k);
        }
    }

    /// <summary>Every subset that leaves out f inputs, in the index order of the kept subsets.</summary>
    private void Complements(int k)
    {
        int m = M, f = F;
        var drop = new int[f];
        // Kept subsets in lexicographic order ⇔ dropped sets in reverse lexicographic order of their complement; simply
        // enumerate all, then break ties by the kept subset's index order.
        for (int i = 0; i < f; i++) drop[i] = i;
        var mark = new bool[m];
        while (true)
        {
            Array.Clear(mark);
            foreach (int i in drop) mark[i] = true;
            int c = 0;
            for (int i = 0; i < m; i++) if (!mark[i]) Current[c++] = i;
            double v = Value(Current, k);
            if (v < _bestValue * (1 - TieTolerance) || (v <= _bestValue * (1 + TieTolerance) && LexLess(Current, Best, k)))
            {
                _bestValue = v;
                Array.Copy(Current, Best, k);
            }
            int t = f - 1;
            while (t >= 0 && drop[t] == m - f + t) t--;
            if (t < 0) break;
            drop[t]++;
            for (int u = t + 1; u < f; u++) drop[u] = drop[u - 1] + 1;
        }
    }

    private static bool LexLess(int[] a, int[] b, int k)
    {
        for (int i = 0; i < k; i++) if (a[i] != b[i]) return a[i] < b[i];
        return false;
    }
}
