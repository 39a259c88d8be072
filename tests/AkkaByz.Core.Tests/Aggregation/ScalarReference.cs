using AkkaByz.Core.Aggregation;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>
/// Plain, obviously-correct scalar implementations of every rule (double arithmetic, no blocking, no SIMD, no
/// threads), driven by the same spec tree. The fast kernels must agree with these within tolerance.
/// </summary>
internal static class ScalarReference
{
    public static double[] Aggregate(AggregatorSpec spec, float[][] x, int f, int seed = 0)
        => Aggregate(spec, x.Select(v => v.Select(c => (double)c).ToArray()).ToArray(), f, seed);

    public static double[] Aggregate(AggregatorSpec spec, double[][] x, int f, int seed)
    {
        int m = x.Length;
        switch (spec.Name)
        {
            case "mean": return Mean(x);
            case "cwmed": return RankMean(x, (m - 1) / 2, m / 2);
            case "cwtm": return RankMean(x, f, m - f - 1);
            case "geomed":
                return GeoMed(x, spec.Parameters.TryGetValue("iters", out var t) ? (int)t : 3,
                    spec.Parameters.TryGetValue("nu", out var nu) ? nu : 0.1);
            case "krum": return x[KrumOrder(x, f)[0]].ToArray();
            case "multikrum":
            {
                int q = spec.Parameters.TryGetValue("q", out var qq) ? (int)qq : m - f;
                return Mean(KrumOrder(x, f).Take(q).Select(i => x[i]).ToArray());
            }
            case "meamed": return MeaMed(x, m - f);
            case "bulyan":
            {
                var sel = BulyanSelection(x, f);
                return MeaMed(sel.Select(i => x[i]).ToArray(), m - 4 * f);
            }
            case "clip":
            {
                double c = spec.Parameters.TryGetValue("c", out var cc) ? cc : 2.0;
                return Aggregate(spec.Inner!, x.Select(v => Scale(v, Math.Min(1, c / Math.Sqrt(D2(v, new double[v.Length]))))).ToArray(), f, seed);
            }
            case "arc":
            {
                int k = 2 * f * (m - f) / m;
                var norms = x.Select(v => Math.Sqrt(D2(v, new double[v.Length]))).ToArray();
                var desc = norms.OrderByDescending(v => v).ToArray();
                double threshold = desc[k];
                var clipped = x.Select((v, i) => norms[i] > threshold && k > 0 ? Scale(v, threshold / norms[i]) : v).ToArray();
                return Aggregate(spec.Inner!, clipped, f, seed);
            }
            case "mda": return Mean(MdaSubset(x, f).Select(i => x[i]).ToArray());
            case "monna":
            {
                int pivot = spec.Parameters.TryGetValue("pivot", out var pv) ? (int)pv : 0;
                var dist = x.Select(v => D2(v, x[pivot])).ToArray();
                return Mean(OrderBy(dist).Take(m - f).Select(i => x[i]).ToArray());
            }
            case "ctma": return Ctma(x, f, Aggregate(spec.Inner!, x, f, seed));
            case "nnm": return Aggregate(spec.Inner!, Nnm(x, f), f, seed);
            case "nnm+ctma": return Ctma(x, f, Aggregate(spec.Inner!, Nnm(x, f), f, seed));
            case "bucketing":
            {
                int s = spec.Parameters.TryGetValue("s", out var ss) ? (int)ss : ((m + 1) / 2 > 2 * f ? 2 : 1);
                var perm = Enumerable.Range(0, m).ToArray();
                new Random(seed).Shuffle(perm);
                int k = (m + s - 1) / s;
                var means = new double[k][];
                for (int b = 0; b < k; b++)
                    means[b] = Mean(perm.Skip(b * s).Take(s).Select(i => x[i]).ToArray());
                return Aggregate(spec.Inner!, means, f, seed + 1);
            }
            default: throw new NotSupportedException(spec.Name);
        }
    }

    public static double[] Mean(double[][] x)
    {
        int d = x[0].Length;
        var r = new double[d];
        foreach (var v in x) for (int j = 0; j < d; j++) r[j] += v[j];
        for (int j = 0; j < d; j++) r[j] /= x.Length;
        return r;
    }

    public static double[] RankMean(double[][] x, int lo, int hi)
    {
        int m = x.Length, d = x[0].Length;
        var r = new double[d];
        var col = new double[m];
        for (int j = 0; j < d; j++)
        {
            for (int i = 0; i < m; i++) col[i] = x[i][j];
            Array.Sort(col);
            double s = 0;
            for (int k = lo; k <= hi; k++) s += col[k];
            r[j] = s / (hi - lo + 1);
        }
        return r;
    }

    private static double[] Scale(double[] v, double s) => v.Select(t => (double)(float)(t * s)).ToArray();

    /// <summary>Per coordinate: the mean of the k values closest to the median, ties towards the smaller value.</summary>
    public static double[] MeaMed(double[][] x, int k)
    {
        int m = x.Length, d = x[0].Length;
        var r = new double[d];
        for (int j = 0; j < d; j++)
        {
            var col = x.Select(v => v[j]).Order().ToArray();
            double med = m % 2 == 1 ? col[(m - 1) / 2] : (col[m / 2 - 1] + col[m / 2]) / 2;
            r[j] = col.OrderBy(v => Math.Abs(v - med)).ThenBy(v => v).Take(k).Average();
        }
        return r;
    }

    /// <summary>Bulyan's θ = m − 2f selections by repeated Krum on the remaining inputs (ties by index).</summary>
    public static int[] BulyanSelection(double[][] x, int f)
    {
        int m = x.Length;
        var left = Enumerable.Range(0, m).ToList();
        var chosen = new List<int>();
        while (chosen.Count < m - 2 * f)
        {
            int nearest = Math.Max(2, left.Count - f - 2);
            var scores = left.Select(i => left.Where(j => j != i).Select(j => D2(x[i], x[j])).Order().Take(nearest).Sum()).ToArray();
            int best = left[OrderBy(scores)[0]];
            chosen.Add(best);
            left.Remove(best);
        }
        return chosen.ToArray();
    }

    /// <summary>Every (m − f)-subset in lexicographic order; the first of smallest (diameter, sum of squared distances).</summary>
    public static int[] MdaSubset(double[][] x, int f)
    {
        int m = x.Length, k = m - f;
        var dist = new double[m, m];
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) dist[i, j] = D2(x[i], x[j]);
        int[]? best = null;
        double bestDiam = double.PositiveInfinity, bestSum = double.PositiveInfinity;
        foreach (var subset in Combinations(m, k))
        {
            double diam = 0, sum = 0;
            for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++) { diam = Math.Max(diam, dist[subset[a], subset[b]]); sum += dist[subset[a], subset[b]]; }
            if (diam < bestDiam || (diam == bestDiam && sum < bestSum)) { bestDiam = diam; bestSum = sum; best = subset; }
        }
        return best!;
    }

    private static IEnumerable<int[]> Combinations(int m, int k)
    {
        var c = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return (int[])c.Clone();
            int i = k - 1;
            while (i >= 0 && c[i] == m - k + i) i--;
            if (i < 0) yield break;
            c[i]++;
            for (int j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
        }
    }

    public static double D2(double[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
        return s;
    }

    public static int[] OrderBy(double[] key) =>
        Enumerable.Range(0, key.Length).OrderBy(i => key[i]).ThenBy(i => i).ToArray();

    public static double[] GeoMed(double[][] x, int iters, double nu)
    {
        var z = Mean(x);
        for (int t = 0; t < iters; t++)
        {
            var beta = x.Select(v => 1.0 / Math.Max(nu, Math.Sqrt(D2(v, z)))).ToArray();
            double sum = beta.Sum();
            var nz = new double[z.Length];
            for (int i = 0; i < x.Length; i++)
                for (int j = 0; j < z.Length; j++) nz[j] += beta[i] / sum * x[i][j];
            z = nz;
        }
        return z;
    }

    public static int[] KrumOrder(double[][] x, int f)
    {
        int m = x.Length;
        var score = new double[m];
        for (int i = 0; i < m; i++)
            score[i] = Enumerable.Range(0, m).Where(j => j != i).Select(j => D2(x[i], x[j])).OrderBy(v => v)
                .Take(m - f - 2).Sum();
        return OrderBy(score);
    }

    public static double[] Ctma(double[][] x, int f, double[] anchor)
    {
        var r = x.Select(v => D2(v, anchor)).ToArray();
        return Mean(OrderBy(r).Take(x.Length - f).Select(i => x[i]).ToArray());
    }

    public static double[][] Nnm(double[][] x, int f)
    {
        int m = x.Length;
        var mixed = new double[m][];
        for (int i = 0; i < m; i++)
        {
            var dist = x.Select(v => D2(x[i], v)).ToArray();
            dist[i] = 0;
            mixed[i] = Mean(OrderBy(dist).Take(m - f).Select(j => x[j]).ToArray());
        }
        return mixed;
    }
}
