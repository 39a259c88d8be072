using System.Text.RegularExpressions;

namespace AkkaByz.Runtime.Tests;

/// <summary>
/// The namespaces of AkkaByz.Runtime form layers, lowest first: a namespace may use the ones below it, never one
/// above (no cycles). Read from the sources: <c>using AkkaByz.Runtime.X</c>, fully qualified
/// <c>AkkaByz.Runtime.X.</c>, and a qualified <c>X.Type</c> that names a type declared in namespace X (comments
/// ignored). A sub-namespace (Transport.Tcp, Cluster.Management) belongs to its parent's layer.
/// </summary>
public sealed partial class LayeringSpecs
{
    /// <summary>The allowed order, lowest first. A new namespace must be placed here.</summary>
    public static readonly string[] Layers =
    [
        "Configuration", "Protocol", "Training", "Checkpointing", "Security", "Serialization", "Transport",
        "Composition", "Metrics", "Faults", "Actors", "Hosting", "Cluster", "Experiments",
    ];

    private static string RuntimeSources()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var src = Path.Combine(dir.FullName, "src", "AkkaByz.Runtime");
            if (Directory.Exists(src)) return src;
        }
        throw new DirectoryNotFoundException($"src/AkkaByz.Runtime not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"//.*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^namespace AkkaByz\.Runtime\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDecl();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDecl();

    [GeneratedRegex(@"AkkaByz\.Runtime\.(\w+)")]
    private static partial Regex FullyQualified();

    [GeneratedRegex(@"(?<![\w.])(\w+)\.(\w+)")]
    private static partial Regex Qualified();

    /// <summary>Every (from, to, file) reference between two different Runtime namespaces.</summary>
    private static List<(string From, string To, string File)> References()
    {
        var files = Directory.EnumerateFiles(RuntimeSources(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path: f, Text: Comment().Replace(File.ReadAllText(f), "")))
            .Select(f => (f.Path, f.Text, Namespace: NamespaceDecl().Match(f.Text) is { Success: true } m ? m.Groups[1].Value : ""))
            .ToList();
        var declared = files.GroupBy(f => f.Namespace)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => TypeDecl().Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet());
        var references = new List<(string, string, string)>();
        foreach (var (path, text, ns) in files)
        {
            var name = Path.GetRelativePath(RuntimeSources(), path);
            foreach (Match m in FullyQualified().Matches(text))
                if (m.Groups[1].Value != ns && declared.ContainsKey(m.Groups[1].Value)) references.Add((ns, m.Groups[1].Value, name));
            foreach (Match m in Qualified().Matches(text))
                if (m.Groups[1].Value != ns && declared.TryGetValue(m.Groups[1].Value, out var types) && types.Contains(m.Groups[2].Value))
                    references.Add((ns, m.Groups[1].Value, name));
        }
        return references;
    }

    [Fact]
    public void Every_Runtime_namespace_has_a_layer()
    {
        var namespaces = References().SelectMany(r => new[] { r.From, r.To }).Distinct();
        Assert.Empty(namespaces.Except(Layers));
    }

    [Fact]
    public void No_Runtime_namespace_uses_one_above_it()
    {
        var upward = References()
            .Where(r => Array.IndexOf(Layers, r.From) < Array.IndexOf(Layers, r.To))
            .Select(r => $"{r.File}: {r.From} → {r.To}")
            .Distinct()
            .ToList();
        Assert.True(upward.Count == 0, "References against the layer order (" + string.Join(" < ", Layers) + "):\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_scan_sees_the_references_it_checks()
    {
        // Guards the scan itself: known downward references must be found, else the test above proves nothing.
        var found = References().Select(r => (r.From, r.To)).ToHashSet();
        Assert.Contains(("Actors", "Protocol"), found);
        Assert.Contains(("Cluster", "Transport"), found);
        Assert.Contains(("Serialization", "Security"), found); // qualified: Security.RemoteInbound
    }
}
