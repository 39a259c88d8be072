using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary><c>akkabyz.optimizer</c> → AkkaByz.Core's <see cref="OptimizerOptions"/> and <see cref="OptimizerFactory"/>.</summary>
public static class OptimizerCatalog
{
    public static OptimizerOptions Options(OptimizerSettings o)
    {
        try
        {
            var options = new OptimizerOptions
            {
                Kind = OptimizerFactory.ParseKind(o.Name),
                LearningRate = (float)o.LearningRate,
                ClipNorm = (float)o.Clip,
                WeightDecay = (float)o.WeightDecay,
                Momentum = new MomentumOptions((float)o.Beta),
                Mu2 = new Mu2SgdOptions((float)o.BetaMin, (float)o.GammaMin, o.Theory),
            };
            options.Validate();
            return options;
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"akkabyz.optimizer: {e.Message}", e);
        }
    }
}
