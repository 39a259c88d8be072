using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Models;

/// <summary>
/// A fact that is reported as skipped, saying why, when Debian's Fashion-MNIST files are not installed
/// (<c>apt-get install dataset-fashion-mnist</c>; <c>./build.sh test</c> installs it when it can).
/// </summary>
public sealed class RequiresFashionMnistFactAttribute : FactAttribute
{
    public static string Directory => DataSources.DebianFashionMnistDirectory;

    public RequiresFashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(Directory, IdxReader.TrainImages + ".gz")) && !File.Exists(Path.Combine(Directory, IdxReader.TrainImages)))
            Skip = $"Fashion-MNIST not found in {Directory} (apt-get install dataset-fashion-mnist); real-data test skipped.";
    }
}
