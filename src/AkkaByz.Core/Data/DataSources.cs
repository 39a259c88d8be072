namespace AkkaByz.Core.Data;

/// <summary>Options of <see cref="DataSources.Load"/>.</summary>
/// <param name="Normalization">
/// Feature scaling after loading (<see cref="NormalizationSpec"/>); null = unit range (pixels in [0, 1], synthetic
/// unchanged). Standardisation uses the training set's statistics for both sets unless values are given.
/// </param>
/// <param name="Synthetic">Settings of the synthetic task (default: <see cref="SyntheticTaskOptions"/>'s defaults).</param>
public sealed record DataLoadOptions(NormalizationSpec? Normalization = null, SyntheticTaskOptions? Synthetic = null);

/// <summary>
/// The one place where data-source names map to loaders. Sources:
/// <list type="bullet">
/// <item><c>synthetic</c> (default): the embedded task, <see cref="SyntheticTask"/>.</item>
/// <item><c>idx:DIR</c>: MNIST / Fashion-MNIST IDX files in DIR, the four standard names
/// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each raw or
/// with a <c>.gz</c> suffix.</item>
/// <item><c>fashion-mnist</c>: shorthand for <c>idx:/usr/share/datasets/fashion-mnist</c> (Debian's dataset-fashion-mnist).</item>
/// <item><c>cifar10:DIR</c>: CIFAR-10 binary batches in DIR (data_batch_1..5.bin, test_batch.bin).</item>
/// </list>
/// No download happens: loaders only read the given paths.
/// </summary>
public static class DataSources
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the IDX files.</summary>
    public const string DebianFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    public static IReadOnlyList<string> Names { get; } = ["synthetic", "idx:DIR", "fashion-mnist", "cifar10:DIR"];

    /// <summary>Loads the source named by <paramref name="spec"/> as (train, test).</summary>
    /// <exception cref="ArgumentException">Unknown source name (the message lists the valid ones) or missing directory part.</exception>
    /// <exception cref="DataFormatException">A file is missing or corrupt.</exception>
    public static (DataSet Train, DataSet Test) Load(string spec, DataLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new DataLoadOptions();
        spec = spec.Trim();
        var colon = spec.IndexOf(':');
        var kind = (colon < 0 ? spec : spec[..colon]).ToLowerInvariant();
        var argument = colon < 0 ? "" : spec[(colon + 1)..];
        (DataSet Train, DataSet Test) sets = kind switch
        {
            "" or "synthetic" => SyntheticTask.Generate(options.Synthetic),
            "idx" or "mnist" => LoadIdxDirectory(RequireDirectory(kind, argument, spec)),
            "fashion-mnist" or "fashionmnist" => LoadIdxDirectory(argument.Length > 0 ? argument : DebianFashionMnistDirectory),
            "cifar10" or "cifar-10" => Cifar10Reader.LoadDirectory(RequireDirectory(kind, argument, spec)),
            _ => throw new ArgumentException($"Unknown data source '{spec}'. Valid sources: {string.Join(", ", Names)}.", nameof(spec)),
        };
        (options.Normalization ?? NormalizationSpec.UnitRange).ApplyInPlace(sets.Train, sets.Test);
        return sets;
    }

    /// <summary>Loads the four standard IDX files from <paramref name="directory"/> (each raw or <c>.gz</c>).</summary>
    public static (DataSet Train, DataSet Test) LoadIdxDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DataFormatException(directory, "IDX data directory not found (expected train-images-idx3-ubyte[.gz] and the three other standard files).");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        var trainImages = Find(directory, IdxReader.TrainImages);
        var trainLabels = Find(directory, IdxReader.TrainLabels);
        var testImages = Find(directory, IdxReader.TestImages);
        var testLabels = Find(directory, IdxReader.TestLabels);
        var train = IdxReader.Load(trainImages, trainLabels, $"{name}-train");
        var test = IdxReader.Load(testImages, testLabels, $"{name}-test", train.ClassCount);
        return (train, test);
    }

    private static string Find(string directory, string baseName)
    {
        var raw = Path.Combine(directory, baseName);
        if (File.Exists(raw)) return raw;
        var gz = raw + ".gz";
        if (File.Exists(gz)) return gz;
        throw new DataFormatException(raw, "file not found (looked for it raw and with .gz).");
    }

    private static string RequireDirectory(string kind, string argument, string spec) =>
        argument.Length > 0 ? argument : throw new ArgumentException($"Data source '{spec}' needs a directory: {kind}:DIR.", nameof(spec));
}
