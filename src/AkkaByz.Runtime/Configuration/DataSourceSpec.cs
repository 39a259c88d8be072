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

/// <summary>Parsed <c>akkabyz.data.partition</c>: <c>iid</c> or <c>dirichlet(ALPHA)</c>.</summary>
public sealed record PartitionSpec(bool Iid, double Alpha)
{
    public static PartitionSpec Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "iid") return new(true, 0);
        if (t.StartsWith("dirichlet(", StringComparison.Ordinal) && t.EndsWith(')') &&
            double.TryParse(t["dirichlet(".Length..^1], System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var a))
        {
            if (!(a > 0) || double.IsInfinity(a)) throw new FormatException($"'{text}': the Dirichlet concentration must be positive and finite.");
            return new(false, a);
        }
        throw new FormatException($"'{text}' is not a partition; expected iid or dirichlet(ALPHA), e.g. dirichlet(0.5).");
    }

    public override string ToString() => Iid ? "iid" : $"dirichlet({Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}
