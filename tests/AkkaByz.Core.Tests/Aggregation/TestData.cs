using AkkaByz.Core.Aggregation;

namespace AkkaByz.Core.Tests.Aggregation;

internal static class TestData
{
    public static float[][] Gaussian(Random rng, int m, int d, double mean = 0, double sd = 1)
    {
        var x = new float[m][];
        for (int i = 0; i < m; i++)
        {
            x[i] = new float[d];
            for (int j = 0; j < d; j++) x[i][j] = (float)(mean + sd * Normal(rng));
        }
        return x;
    }

    public static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static float[] Run(IAggregator a, float[][] x)
    {
        var y = new float[x[0].Length];
        a.Aggregate(x, y);
        return y;
    }

    public static float[] Run(string spec, float[][] x, int f, int seed = 0) =>
        Run(AggregatorSpec.Parse(spec).Build(x.Length, f, seed), x);

    /// <summary>max_j |a_j − b_j|.</summary>
    public static double MaxAbsDiff(IReadOnlyList<float> a, IReadOnlyList<double> b)
    {
        double r = 0;
        for (int j = 0; j < a.Count; j++) r = Math.Max(r, Math.Abs(a[j] - b[j]));
        return r;
    }

    public static double MaxAbsDiff(float[] a, float[] b) => MaxAbsDiff(a, b.Select(v => (double)v).ToArray());

    public static double Norm(IEnumerable<double> v) => Math.Sqrt(v.Sum(t => t * t));

    /// <summary>Every rule, at (m, f) where its bound holds; meta-rules over a representative baseline.</summary>
    public static readonly string[] AllSpecs =
    [
        "mean", "cwmed", "cwtm", "geomed", "geomed(iters=5,nu=0.01)", "krum", "multikrum", "multikrum(q=2)",
        "ctma(cwtm)", "ctma(cwmed)", "ctma(geomed)", "ctma(krum)", "ctma(mean)", "nnm(cwtm)", "nnm(geomed)",
        "ctma(nnm(geomed))", "nnm+ctma(cwtm)", "bucketing(cwtm)", "bucketing(s=2,cwmed)", "bucketing(s=1,krum)",
        "ctma(bucketing(s=2,cwtm))", "nnm(ctma(cwmed))",
        "meamed", "ctma(meamed)", "bulyan", "ctma(bulyan)", "clip(c=3,cwtm)", "clip(mean)", "arc(cwtm)", "arc(nnm(cwtm))",
        "ctma(arc(cwmed))", "mda", "ctma(mda)", "monna", "monna(pivot=1)", "ctma(monna)",
        "smea", "ctma(smea)", "caf", "ctma(caf)", "dnc", "dnc(c=0.5,dim=40,iters=3)", "ctma(dnc)", "signguard",
        "signguard(frac=0.5,lower=0.5,upper=2)", "cc", "cc(iters=3,tau=1)", "ctma(cc(tau=10))", "nnm(cc(tau=2))",
    ];

    /// <summary>Specs whose search enumerates C(m, m − f) subsets in the scalar reference: keep m small.</summary>
    public static bool Enumerates(string spec) => spec.Contains("mda") || spec.Contains("smea");

    /// <summary>Specs whose clipping scales towards the origin: not translation-equivariant by design.</summary>
    public static bool Clips(string spec) => spec.Contains("clip") || spec.Contains("arc") || spec.Contains("signguard");

    /// <summary>f small enough for every spec in <see cref="AllSpecs"/> at this m (Krum and bucketing(s=2)).</summary>
    public static int SafeF(int m) => Math.Max(0, Math.Min((m - 3) / 2, ((m + 1) / 2 - 1) / 2));

    /// <summary><see cref="SafeF(int)"/>, lowered to Bulyan's bound m ≥ 4f + 3 for specs that contain it.</summary>
    public static int SafeF(int m, string spec) => spec.Contains("bulyan") ? Math.Min(SafeF(m), Math.Max(0, (m - 3) / 4)) : SafeF(m);
}
