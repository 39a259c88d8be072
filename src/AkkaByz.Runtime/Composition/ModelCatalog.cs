using System.Runtime.CompilerServices;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Torch;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// Model names → implementations: <c>logreg</c> → AkkaByz.Core's <see cref="LogisticRegression"/> (managed, no native
/// code); <c>mlp</c>, <c>cnn-mnist</c>, <c>cnn-cifar</c> → AkkaByz.Torch's TorchModels. The Torch models are reached
/// only through <see cref="TorchModelSource"/>, so a logreg run never loads TorchSharp or libtorch.
/// </summary>
public static class ModelCatalog
{
    /// <summary>The managed multinomial logistic regression.</summary>
    public const string LogReg = "logreg";

    /// <summary>Valid model names (asking for them loads the AkkaByz.Torch assembly, not TorchSharp).</summary>
    public static IReadOnlyList<string> Names => [LogReg, .. TorchModelSource.Names];

    /// <summary>A new instance of model <paramref name="name"/> for samples like <paramref name="train"/>'s.</summary>
    /// <exception cref="SettingsException">Unknown name, a shape the model cannot take, or the native runtime cannot load.</exception>
    public static IGradientModel Create(string name, DataSet train, int threads)
    {
        if (name == LogReg)
        {
            try
            {
                return new LogisticRegression(train.FeatureCount, train.ClassCount);
            }
            catch (ArgumentException e)
            {
                throw Refused(name, train, e);
            }
        }
        if (!TorchModelSource.Names.Contains(name))
            throw Refused(name, train, new ArgumentException($"unknown model '{name}'; valid models: {string.Join(", ", Names)}."));
        return TorchModelSource.Create(name, train, threads);
    }

    internal static SettingsException Refused(string name, DataSet train, Exception e) =>
        new($"akkabyz.model = {name} (data {train.Name}, samples {train.Shape}): {e.Message}", e);
}

/// <summary>
/// The one place Runtime touches AkkaByz.Torch's model types. Its methods are never inlined, so compiling a caller does
/// not load TorchSharp: only building a Torch model does.
/// </summary>
internal static class TorchModelSource
{
    public static IReadOnlyList<string> Names
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        get => TorchModels.Names;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IGradientModel Create(string name, DataSet train, int threads)
    {
        try
        {
            return TorchModels.Create(name, train.Shape, train.ClassCount, threads);
        }
        catch (Exception e) when (e is ArgumentException or TorchRuntimeException)
        {
            throw ModelCatalog.Refused(name, train, e);
        }
    }
}
