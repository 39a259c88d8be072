namespace AkkaByz.Core.Data;

/// <summary>
/// Settings of the embedded synthetic classification task (the zero-setup default data source).
/// </summary>
/// <param name="Seed">Generator seed: the same seed gives bit-identical data sets.</param>
/// <param name="Classes">C, number of classes (default 10).</param>
/// <param name="Features">D, features per sample (default 32).</param>
/// <param name="TrainCount">Training samples (default 20,000).</param>
/// <param name="TestCount">Test samples (default 5,000).</param>
/// <param name="Separation">Standard deviation of the class centres around the origin, in units of the unit within-class noise (default 0.5).</param>
/// <param name="LabelNoise">Probability that a sample's label is replaced by a uniformly drawn class (default 0.05), in train and test alike.</param>
public sealed record SyntheticTaskOptions(
    int Seed = 1,
    int Classes = 10,
    int Features = 32,
    int TrainCount = 20_000,
    int TestCount = 5_000,
    double Separation = 0.5,
    double LabelNoise = 0.05)
{
    public void Validate()
    {
        if (Classes < 2) throw new ArgumentException($"Synthetic task needs ≥ 2 classes, got {Classes}.", nameof(Classes));
        if (Features < 1) throw new ArgumentException($"Synthetic task needs ≥ 1 feature, got {Features}.", nameof(Features));
        if (TrainCount < 1 || TestCount < 1)
            throw new ArgumentException($"Synthetic task needs ≥ 1 train and test sample, got {TrainCount} / {TestCount}.");
        if (!(Separation > 0) || !double.IsFinite(Separation))
            throw new ArgumentException($"Separation must be positive, got {Separation}.", nameof(Separation));
        if (!(LabelNoise >= 0 && LabelNoise <= 1))
            throw new ArgumentException($"Label noise must be in [0, 1], got {LabelNoise}.", nameof(LabelNoise));
    }
}

/// <summary>
/// The embedded synthetic task: C Gaussian clusters in R^D. Class centres μ_c ~ N(0, s² I) (s = separation), drawn
/// once from the seed; a sample of class c is μ_c + N(0, I); then with probability <c>LabelNoise</c> its label is
/// replaced by a uniform class. Classes are balanced in expectation (labels drawn uniformly).
/// With the defaults (10 classes, 32 features, s = 0.5, 5 % label noise) the clusters overlap: multinomial logistic
/// regression reaches roughly 80–85 % test accuracy (chance is 10 %), so an attack that derails the mean shows
/// clearly, and 20k × 32 floats (2.5 MB) learn in seconds.
/// </summary>
public static class SyntheticTask
{
    /// <summary>Generates (train, test), deterministic from <see cref="SyntheticTaskOptions.Seed"/>.</summary>
    public static (DataSet Train, DataSet Test) Generate(SyntheticTaskOptions? options = null)
    {
        options ??= new SyntheticTaskOptions();
        options.Validate();
        var rng = new Random(options.Seed);
        int c = options.Classes, d = options.Features;
        var centres = new double[c * d];
        for (var i = 0; i < centres.Length; i++) centres[i] = options.Separation * Gaussian(rng);
        var train = Draw(rng, options, centres, options.TrainCount, "synthetic-train");
        var test = Draw(rng, options, centres, options.TestCount, "synthetic-test");
        return (train, test);
    }

    private static DataSet Draw(Random rng, SyntheticTaskOptions o, double[] centres, int count, string name)
    {
        int c = o.Classes, d = o.Features;
        var features = new float[count * d];
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            var y = rng.Next(c);
            for (var j = 0; j < d; j++) features[i * d + j] = (float)(centres[y * d + j] + Gaussian(rng));
            if (rng.NextDouble() < o.LabelNoise) y = rng.Next(c);
            labels[i] = y;
        }
        return new DataSet(name, features, labels, SampleShape.Flat(d), c);
    }

    /// <summary>Standard normal by Box–Muller (deterministic for a seeded <see cref="Random"/>).</summary>
    internal static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
