namespace AkkaByz.Runtime.Configuration;

/// <summary>Kinds of training data the runtime can load.</summary>
public enum DataSourceKind { Synthetic, Idx, Cifar10 }

/// <summary>Parsed <c>akkabyz.data.source</c>: <c>synthetic</c>, <c>idx:DIR</c>, <c>fashion-mnist</c> (Debian's IDX files) or <c>cifar10:DIR</c>.</summary>
public sealed record DataSourceSpec(DataSourceKind Kind, string? Path)
{
    public static DataSourceSpec Parse(string text)
    {
        var t = text.Trim();
        if (t.Equals("synthetic", StringComparison.OrdinalIgnoreCase)) return new(DataSourceKind.Synthetic, null);
        if (t.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase)) return new(DataSourceKind.Idx, "/usr/share/datasets/fashion-mnist");
        var colon = t.IndexOf(':');
        if (colon > 0)
        {
            var kind = t[..colon].ToLowerInvariant();
            var path = t[(colon + 1)..].Trim();
            if (path.Length == 0) throw new FormatException($"'{text}': the data source needs a path after '{kind}:'.");
            return kind switch
            {
                "idx" or "mnist" => new(DataSourceKind.Idx, path),
                "cifar10" or "cifar" => new(DataSourceKind.Cifar10, path),
                _ => throw new FormatException($"'{text}': unknown data source '{kind}'; expected synthetic, idx:DIR or cifar10:DIR."),
            };
        }
        throw new FormatException($"'{text}' is not a data source; expected synthetic, idx:DIR or cifar10:DIR.");
    }

    public override string ToString() => Kind switch
    {
        DataSourceKind.Synthetic => "synthetic",
        DataSourceKind.Idx => $"idx:{Path}",
        _ => $"cifar10:{Path}",
    };
}

/// <summary>
/// Parsed <c>akkabyz.data.partition</c>, in the spec grammar of aggregators and attacks: <c>iid</c>,
/// <c>dirichlet(alpha=A)</c> (or <c>dirichlet(A)</c>), <c>gamma(g=G)</c>, <c>extreme</c> (Core's Partitioner).
/// </summary>
public sealed record PartitionSpec(string Text)
{
    /// <summary>True for the IID split.</summary>
    public bool Iid => Text == "iid";

    /// <exception cref="FormatException">Not a partition spec (the message lists the valid ones).</exception>
    public static PartitionSpec Parse(string text)
    {
        try
        {
            return new(AkkaByz.Core.Data.Partitioner.Canonical(text));
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    public override string ToString() => Text;
}
