using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// MDA(f), minimum-diameter averaging (El Mhamdi, Guerraoui, Guirguis, Hoang &amp; Rouault, "Genuinely distributed
/// Byzantine machine learning", PODC 2020): the mean of the (m − f)-subset S of the inputs with the smallest diameter
/// max_{i,j∈S} ‖x_i − x_j‖. A diameter is one pair's distance, so several subsets often share the smallest; of those,
/// the one with the smallest Σ_{i&lt;j∈S} ‖x_i − x_j‖² is taken (then the first in index order), which keeps the rule
/// independent of the inputs' order. One blocked pass builds the m×m squared-distance matrix in double; the subset is
/// then found by an exact depth-first branch-and-bound over the C(m, m − f) subsets on the m×m numbers (a candidate
/// joins only while (diameter, sum) of the members so far stays within the best found; the search starts from the
/// best of the m "x_i and its m − f − 1 nearest" subsets), and a weighted-sum pass averages S. Reports S as selected,
/// the other f as suspects.
/// </summary>
public sealed class MinimumDiameterAveraging : SubsetMeanRule
{
    /// <summary>Largest C(m, f) accepted by the builder: beyond it an adversarial input could make the exact search
    /// far too slow.</summary>
    public const double MaxSubsets = 1e9;


    public MinimumDiameterAveraging(int m, int f) : base(m, f)
    {
        ValidateBound(m, f);
    }

    /// <inheritdoc />
    public override string Spec => "mda";

    /// <summary>C(m, f) as a double.</summary>
    public static double Subsets(int m, int f)
    {
        double c = 1;
        for (int i = 1; i <= f; i++) c = c * (m - f + i) / i;
        return c;
    }

    internal static void ValidateBound(int m, int f)
    {
        double c = Subsets(m, f);
        if (c > MaxSubsets)
        {
            int fmax = f;
            while (fmax > 0 && Subsets(m, fmax) > MaxSubsets) fmax--;
            throw new ArgumentOutOfRangeException(nameof(f),
                FormattableString.Invariant($"MDA searches the C(m, m − f) subsets exactly and accepts at most {MaxSubsets:G3} of them; got m = {m}, f = {f}: C(m, f) = {c:G3} (so f at most {fmax} at this m)."));
        }
    }

    private double _bestDiameter, _bestSum;
    private bool _bestFromSearch;

    /// <summary>(d, s) before (bd, bs) in the (diameter, sum) order.</summary>
    private static bool Less(double d, double s, double bd, double bs) => d < bd || (d == bd && s < bs);

    /// <summary>The lexicographically first (m − f)-subset of minimum diameter, ascending.</summary>
    private protected override int[] Search(int k)
    {
        int m = M;
        // Initial bound: the best of the m subsets "x_i and its k − 1 nearest" (a feasible subset, so a valid bound).
        _bestDiameter = double.PositiveInfinity;
        _bestSum = double.PositiveInfinity;
        _bestFromSearch = false;
        for (int i = 0; i < m; i++)
        {
            Array.Copy(D2, i * m, Row, 0, m);
            var order = InputValidation.OrderByKeyThenIndex(Row);
            Array.Sort(order, 0, k);
            double diam = 0, sum = 0;
            for (int a = 0; a < k; a++)
                for (int b = 0; b < a; b++)
                {
                    double v = D2[order[b] * m + order[a]];
                    diam = Math.Max(diam, v);
                    sum += v;
                }
            if (Less(diam, sum, _bestDiameter, _bestSum))
            {
                (_bestDiameter, _bestSum) = (diam, sum);
                Array.Copy(order, Best, k);
            }
        }
        Extend(0, 0, 0, 0, k);
        return (int[])Best.Clone();
    }

    /// <summary>Depth-first over subsets in lexicographic order: position <paramref name="depth"/> takes an index ≥
    /// <paramref name="from"/>; <paramref name="diam"/> and <paramref name="sum"/> are the largest and the sum of the
    /// squared distances among the members so far (both only grow as members join, so they bound every completion).</summary>
    private void Extend(int depth, int from, double diam, double sum, int k)
    {
        int m = M;
        if (depth == k)
        {
            // Before the best, or equal to a bound that did not come from this (lexicographic) search: take it.
            if (Less(diam, sum, _bestDiameter, _bestSum) || !_bestFromSearch)
            {
                (_bestDiameter, _bestSum) = (diam, sum);
                _bestFromSearch = true;
                Array.Copy(Current, Best, k);
            }
            return;
        }
        for (int j = from; j <= m - (k - depth); j++)
        {
            double nd = diam, ns = sum;
            for (int a = 0; a < depth && nd <= _bestDiameter; a++)
            {
                double v = D2[Current[a] * m + j];
                nd = Math.Max(nd, v);
                ns += v;
            }
            // Prune: a completion is at least (nd, ns). Equal ones may still win while the bound is the initial one.
            if (Less(_bestDiameter, _bestSum, nd, ns) || (nd == _bestDiameter && ns == _bestSum && _bestFromSearch)) continue;
            Current[depth] = j;
            Extend(depth + 1, j + 1, nd, ns, k);
        }
    }
}
