using AkkaByz.Core.Data;

namespace AkkaByz.Core.Attacks;

/// <summary>The data a data-poisoning attack trains on (<see cref="IAttack.TransformLabel"/>): its labels, the features shared.</summary>
public static class LabelTransforms
{
    /// <summary>The training set as <paramref name="attack"/> sees it (features shared); the same set when the attack leaves labels alone.</summary>
    public static DataSet TransformLabels(DataSet train, IAttack attack)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(attack);
        var labels = new int[train.Count];
        var changed = false;
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = attack.TransformLabel(train.Labels[i], train.ClassCount);
            changed |= labels[i] != train.Labels[i];
        }
        return changed ? new DataSet(train.Name + "+" + attack.Name, train.Features, labels, train.Shape, train.ClassCount) : train;
    }
}
