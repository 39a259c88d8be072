using MathNet.Numerics.LinearAlgebra;

namespace AkkaByz.Core.Numerics;

/// <summary>
/// Small dense symmetric problems in the m-dimensional space of the inputs (the subset and spectral rules: SMEA, CAF,
/// DnC). A set of vectors' scatter matrix Σ_i (x_i − μ)(x_i − μ)ᵀ (d×d) has the same nonzero eigenvalues as the
/// centred Gram matrix Z Zᵀ (m×m, Z the centred rows), and Z Zᵀ follows from the squared-distance matrix alone:
/// −½ H D H with H the centring matrix (classical multidimensional scaling). The distances are computed once, directly
/// as Σ (x − y)² in double (<see cref="DistanceKernels.PairwiseSquaredDistances"/>), so a subset's matrix uses only
/// the distances among its members: a far input outside the subset cannot spoil it by cancellation.
/// </summary>
public static class SpectralKernels
{
    /// <summary>Above this order the top eigenpair comes from MathNet's symmetric EVD instead of cyclic Jacobi.</summary>
    internal const int JacobiMaxOrder = 24;

    /// <summary>
    /// a (k×k, row-major) = −½ H D_S H for the members <paramref name="subset"/>[0..k) of the m×m distance matrix
    /// <paramref name="d2"/>: the Gram matrix of the members centred at their mean.
    /// </summary>
    public static void CentredGram(ReadOnlySpan<double> d2, int m, ReadOnlySpan<int> subset, Span<double> a)
    {
        int k = subset.Length;
        Span<double> row = k <= 256 ? stackalloc double[k] : new double[k];
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            double s = 0;
            int bi = subset[i] * m;
            for (int j = 0; j < k; j++) s += d2[bi + subset[j]];
            row[i] = s / k;
            total += s;
        }
        total /= (double)k * k;
        for (int i = 0; i < k; i++)
        {
            int bi = subset[i] * m;
            for (int j = 0; j < k; j++) a[i * k + j] = -0.5 * (d2[bi + subset[j]] - row[i] - row[j] + total);
        }
    }

    /// <summary>
    /// a (m×m) = −½ B D Bᵀ with B = I − 1αᵀ: the Gram matrix of the inputs centred at the weighted mean Σ α_j x_j
    /// (weights summing to 1), from the distance matrix.
    /// </summary>
    public static void WeightedCentredGram(ReadOnlySpan<double> d2, int m, ReadOnlySpan<double> alpha, Span<double> a)
    {
        Span<double> da = m <= 256 ? stackalloc double[m] : new double[m];
        double ada = 0;
        for (int i = 0; i < m; i++)
        {
            double s = 0;
            for (int j = 0; j < m; j++) s += d2[i * m + j] * alpha[j];
            da[i] = s;
            ada += alpha[i] * s;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) a[i * m + j] = -0.5 * (d2[i * m + j] - da[i] - da[j] + ada);
    }

    /// <summary>
    /// The largest eigenvalue of the symmetric n×n matrix <paramref name="a"/> (row-major; destroyed) and, when
    /// <paramref name="vector"/> is not empty, a unit eigenvector for it. Cyclic Jacobi up to
    /// <see cref="JacobiMaxOrder"/> (rotations until the off-diagonal mass is below 1e-30 of the total), MathNet's
    /// symmetric EVD beyond. On equal top eigenvalues the one of lowest index after convergence is taken.
    /// </summary>
    public static double TopEigen(Span<double> a, int n, Span<double> vector, Span<double> work)
    {
        bool vecs = vector.Length > 0;
        if (n == 1)
        {
            if (vecs) vector[0] = 1;
            return a[0];
        }
        if (n > JacobiMaxOrder) return TopEigenEvd(a, n, vector);
        var v = work[..(n * n)];
        if (vecs)
        {
            v.Clear();
            for (int i = 0; i < n; i++) v[i * n + i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int p = 0; p < n; p++)
            {
                diag += a[p * n + p] * a[p * n + p];
                for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            }
            if (off == 0 || off <= 1e-30 * (diag + off)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = (theta >= 0 ? 1.0 : -1.0) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    if (vecs)
                        for (int k = 0; k < n; k++)
                        {
                            double vkp = v[k * n + p], vkq = v[k * n + q];
                            v[k * n + p] = c * vkp - s * vkq;
                            v[k * n + q] = s * vkp + c * vkq;
                        }
                }
        }
        int best = 0;
        for (int i = 1; i < n; i++) if (a[i * n + i] > a[best * n + best]) best = i;
        if (vecs) for (int k = 0; k < n; k++) vector[k] = v[k * n + best];
        return a[best * n + best];
    }

    private static double TopEigenEvd(Span<double> a, int n, Span<double> vector)
    {
        var mat = Matrix<double>.Build.Dense(n, n, a[..(n * n)].ToArray()); // symmetric: row- and column-major agree
        var evd = mat.Evd(Symmetricity.Symmetric);
        var ev = evd.EigenValues;
        int best = 0;
        for (int i = 1; i < n; i++) if (ev[i].Real > ev[best].Real) best = i;
        if (vector.Length > 0)
            for (int k = 0; k < n; k++) vector[k] = evd.EigenVectors[k, best];
        return ev[best].Real;
    }
}
