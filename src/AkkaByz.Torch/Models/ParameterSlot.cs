namespace AkkaByz.Torch.Models;

/// <summary>What a parameter tensor is, which decides its initialisation.</summary>
public enum ParameterRole
{
    /// <summary>Convolution or linear weight: U(−1/√fan_in, 1/√fan_in) (PyTorch's default, Kaiming-uniform with a = √5).</summary>
    Weight,
    /// <summary>Convolution or linear bias: U(−1/√fan_in, 1/√fan_in) with the layer's fan_in.</summary>
    Bias,
    /// <summary>BatchNorm scale γ: 1.</summary>
    NormScale,
    /// <summary>BatchNorm shift β: 0.</summary>
    NormShift,
}

/// <summary>
/// Where one module parameter lives in the flat vector: coordinates [<see cref="Offset"/>, <see cref="Offset"/> +
/// <see cref="Length"/>) hold the tensor <see cref="Name"/> of <see cref="Shape"/> in row-major (C) order.
/// </summary>
public sealed record ParameterSlot(string Name, int Offset, int Length, long[] Shape, ParameterRole Role, int FanIn)
{
    public override string ToString() => $"{Name} [{string.Join("×", Shape)}] @{Offset} ({Role})";
}
