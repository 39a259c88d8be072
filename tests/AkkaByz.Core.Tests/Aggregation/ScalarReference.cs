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
            case "smea": return Mean(SmeaSubset(x, f).Select(i => x[i]).ToArray());
            case "caf": return Caf(x, f);
            case "dnc":
                return Dnc(x, f, spec.Parameters.TryGetValue("iters", out var di) ? (int)di : 5,
                    spec.Parameters.TryGetValue("dim", out var db) ? (int)db : 10_000, spec.Parameters.TryGetValue("c", out var dc) ? dc : 1.0, seed);
            case "signguard":
                return SignGuard(x, spec.Parameters.TryGetValue("lower", out var lo) ? lo : 0.1, spec.Parameters.TryGetValue("upper", out var up) ? up : 3.0,
                    spec.Parameters.TryGetValue("frac", out var fr) ? fr : 0.1, seed);
            case "cc":
                return CenteredClipping(x, spec.Parameters.TryGetValue("tau", out var tau) ? tau : 10,
                    spec.Parameters.TryGetValue("iters", out var ci) ? (int)ci : 1, RankMean(x, (m - 1) / 2, m / 2));
            case "ctma": return Ctma(x, f, Aggregate(spec.Inner!, x, f, seed));
            case "nnm": return Aggregate(spec.Inner!, Nnm(x, f), f, seed);
            case "nnm+ctma": return Ctma(x, f, Aggregate(spec.Inner!, Nnm(x, f), f, seed));
            case "bucketing":
            {
                int s = spec.Parameters.TryGetValue("s", out var ss) ? (int)ss : ((m + 1) / 2 > 2 * f ? 2 : 1);
                var perm = new int[m];
                AkkaByz.Core.Aggregation.Meta.Bucketing.Permutation(seed, 0, perm); // a first call's permutation
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

    /// <summary>Gram matrix of the rows centred at their mean, directly from the coordinates (d-space, double).</summary>
    public static double[,] CentredGram(double[][] rows, double[] weights)
    {
        int n = rows.Length, d = rows[0].Length;
        var mu = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mu[j] += weights[i] * rows[i][j];
        var z = rows.Select(r => r.Select((v, j) => v - mu[j]).ToArray()).ToArray();
        var g = new double[n, n];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) g[i, k] = z[i].Zip(z[k], (a, b) => a * b).Sum();
        return g;
    }

    /// <summary>Top eigenvalue and unit eigenvector of a symmetric matrix (MathNet's EVD).</summary>
    public static (double Value, double[] Vector) TopEigen(double[,] a)
    {
        var evd = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(a).Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        int n = a.GetLength(0), best = 0;
        for (int i = 1; i < n; i++) if (evd.EigenValues[i].Real > evd.EigenValues[best].Real) best = i;
        return (evd.EigenValues[best].Real, Enumerable.Range(0, n).Select(k => evd.EigenVectors[k, best]).ToArray());
    }

    /// <summary>Every (m − f)-subset; the first of smallest top eigenvalue of its covariance.</summary>
    public static int[] SmeaSubset(double[][] x, int f)
    {
        int m = x.Length, k = m - f;
        int[]? best = null;
        double bestValue = double.PositiveInfinity;
        foreach (var subset in Combinations(m, k))
        {
            var rows = subset.Select(i => x[i]).ToArray();
            double v = TopEigen(CentredGram(rows, Enumerable.Repeat(1.0 / k, k).ToArray())).Value / k;
            if (v < bestValue * (1 - 1e-9)) { bestValue = v; best = subset; }
        }
        return best!;
    }

    /// <summary>CAF in d-space: weighted mean, covariance's top eigenvector v (from the weighted Gram), projections.</summary>
    public static double[] Caf(double[][] x, int f)
    {
        int m = x.Length, d = x[0].Length;
        var c = Enumerable.Repeat(1.0, m).ToArray();
        double best = double.PositiveInfinity;
        double[]? bestMu = null;
        while (c.Sum() > m - 2 * f)
        {
            var alpha = c.Select(v => v / c.Sum()).ToArray();
            var mu = new double[d];
            for (int i = 0; i < m; i++) for (int j = 0; j < d; j++) mu[j] += alpha[i] * x[i][j];
            var z = x.Select(r => r.Select((v, j) => v - mu[j]).ToArray()).ToArray();
            var a = new double[m, m];
            for (int i = 0; i < m; i++) for (int k = 0; k < m; k++) a[i, k] = Math.Sqrt(alpha[i] * alpha[k]) * z[i].Zip(z[k], (p, q) => p * q).Sum();
            var (lambda, u) = TopEigen(a);
            if (lambda < best) { best = lambda; bestMu = mu; }
            if (!(lambda > 0)) break;
            var v = new double[d];
            for (int i = 0; i < m; i++) for (int j = 0; j < d; j++) v[j] += Math.Sqrt(alpha[i]) * u[i] * z[i][j] / Math.Sqrt(lambda);
            var tau = z.Select((zi, i) => c[i] > 0 ? Math.Pow(zi.Zip(v, (p, q) => p * q).Sum(), 2) : 0).ToArray();
            double tmax = tau.Max();
            if (!(tmax > 0)) break;
            for (int i = 0; i < m; i++) c[i] *= Math.Max(0, 1 - tau[i] / tmax);
        }
        return bestMu!;
    }

    /// <summary>The coordinates a seeded call draws: partial Fisher–Yates over the identity (first call).</summary>
    public static int[] Sample(Random rng, int d, int b, int[] perm)
    {
        var idx = new int[b];
        for (int j = 0; j < b; j++)
        {
            int r = j + rng.Next(d - j);
            (perm[j], perm[r]) = (perm[r], perm[j]);
            idx[j] = perm[j];
        }
        Array.Sort(idx);
        return idx;
    }

    public static double[] Dnc(double[][] x, int f, int iters, int dim, double c, int seed)
    {
        int m = x.Length, d = x[0].Length, b = Math.Min(dim, d), removed = (int)Math.Ceiling(c * f - 1e-12);
        var rng = AkkaByz.Core.Aggregation.Rules.CoordinateSampler.CallRandom(seed, 0);
        var perm = Enumerable.Range(0, d).ToArray();
        var count = new int[m];
        for (int t = 0; t < iters; t++)
        {
            var idx = b < d ? Sample(rng, d, b, perm.ToArray()) : Enumerable.Range(0, d).ToArray(); // each draw from the identity
            var sub = x.Select(r => idx.Select(j => r[j]).ToArray()).ToArray();
            // Top right singular vector v of the centred sample Z: from the top eigenpair (λ, u) of Z Zᵀ (computed
            // directly from the coordinates), v = Zᵀu/√λ, so the projections are (Z Zᵀ u)_i / √λ. (A full SVD would
            // form the b×b right factor.)
            var g = CentredGram(sub, Enumerable.Repeat(1.0 / m, m).ToArray());
            var (lambda, u) = TopEigen(g);
            var score = Enumerable.Range(0, m).Select(i =>
            {
                double p = 0;
                for (int k = 0; k < m; k++) p += g[i, k] * u[k];
                return lambda > 0 ? p * p / lambda : 0;
            }).ToArray();
            foreach (int i in OrderBy(score).Take(m - removed)) count[i]++;
        }
        int most = count.Max();
        return Mean(Enumerable.Range(0, m).Where(i => count[i] == most).Select(i => x[i]).ToArray());
    }

    public static double[] SignGuard(double[][] x, double lower, double upper, double frac, int seed)
    {
        int m = x.Length, d = x[0].Length;
        var norm = x.Select(v => Math.Sqrt(D2(v, new double[d]))).ToArray();
        var sorted = norm.Order().ToArray();
        double med = m % 2 == 1 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
        var s1 = norm.Select(n => med > 0 ? n >= lower * med && n <= upper * med : n == 0).ToArray();
        int b = (int)Math.Min(d, Math.Max(1, Math.Ceiling(frac * d - 1e-9)));
        var idx = b < d ? Sample(AkkaByz.Core.Aggregation.Rules.CoordinateSampler.CallRandom(seed, 0), d, b, Enumerable.Range(0, d).ToArray())
            : Enumerable.Range(0, d).ToArray();
        var feat = x.Select(r => new[] { idx.Count(j => r[j] > 0) / (double)b, idx.Count(j => r[j] == 0) / (double)b, idx.Count(j => r[j] < 0) / (double)b }).ToArray();
        double F2(double[] p, double[] q) => p.Zip(q, (a, c) => (a - c) * (a - c)).Sum();
        int ia = 0, ib = 0;
        double far = 0;
        for (int i = 0; i < m; i++) for (int j = i + 1; j < m; j++) if (F2(feat[i], feat[j]) > far) { far = F2(feat[i], feat[j]); ia = i; ib = j; }
        var s2 = Enumerable.Repeat(true, m).ToArray();
        if (far > 0)
        {
            var cen = new[] { feat[ia].ToArray(), feat[ib].ToArray() };
            var cl = Enumerable.Repeat(-1, m).ToArray();
            for (int it = 0; it < 100; it++)
            {
                var next = feat.Select(p => F2(p, cen[1]) < F2(p, cen[0]) ? 1 : 0).ToArray();
                if (next.SequenceEqual(cl)) break;
                cl = next;
                for (int k = 0; k < 2; k++)
                {
                    var members = Enumerable.Range(0, m).Where(i => cl[i] == k).ToArray();
                    cen[k] = Enumerable.Range(0, 3).Select(t => members.Length == 0 ? 0 : members.Average(i => feat[i][t])).ToArray();
                }
            }
            int n1 = cl.Count(k => k == 1), n0 = m - n1, keep = n1 > n0 ? 1 : n0 > n1 ? 0 : cl[0];
            s2 = cl.Select(k => k == keep).ToArray();
        }
        var sel = Enumerable.Range(0, m).Where(i => s1[i] && s2[i]).ToArray();
        if (sel.Length == 0) sel = Enumerable.Range(0, m).Where(i => s1[i]).ToArray();
        var r = new double[d];
        foreach (int i in sel) for (int j = 0; j < d; j++) r[j] += x[i][j] * (norm[i] > med ? med / norm[i] : 1) / sel.Length;
        return r;
    }

    public static double[] CenteredClipping(double[][] x, double tau, int iters, double[] start)
    {
        // The rule stores its start in float32.
        var v = start.Select(t => (double)(float)t).ToArray();
        int m = x.Length;
        for (int t = 0; t < iters; t++)
        {
            var next = v.ToArray();
            foreach (var xi in x)
            {
                double r = Math.Sqrt(D2(xi, v));
                double s = r > tau ? tau / r : 1;
                for (int j = 0; j < v.Length; j++) next[j] += (xi[j] - v[j]) * s / m;
            }
            v = next;
        }
        return v;
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
