using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Torch;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// Model names → implementations: <c>logreg</c> → AkkaByz.Core's <see cref="LogisticRegression"/> (managed, no native
/// code); <c>mlp</c>, <c>cnn-mnist</c>, <c>cnn-cifar</c> → AkkaByz.Torch's <see cref="TorchModels"/>.
/// </summary>
public static class ModelCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["logreg", .. TorchModels.Names];

    /// <summary>A new instance of model <paramref name="name"/> for samples like <paramref name="train"/>'s.</summary>
    /// <exception cref="SettingsException">Unknown name, a shape the model cannot take, or the native runtime cannot load.</exception>
    public static IGradientModel Create(string name, DataSet train, int threads)
    {
        try
        {
            return name switch
            {
                "logreg" => new LogisticRegression(train.FeatureCount, train.ClassCount),
                _ when TorchModels.Names.Contains(name) => TorchModels.Create(name, train.Shape, train.ClassCount, threads),
                _ => throw new ArgumentException($"unknown model '{name}'; valid models: {string.Join(", ", Names)}."),
            };
        }
        catch (Exception e) when (e is ArgumentException or TorchRuntimeException)
        {
            throw new SettingsException($"akkabyz.model = {name} (data {train.Name}, samples {train.Shape}): {e.Message}", e);
        }
    }
}
