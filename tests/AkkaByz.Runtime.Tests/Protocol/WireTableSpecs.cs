using AkkaByz.Runtime.Cluster;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Serialization;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Transport.Chunked;

namespace AkkaByz.Runtime.Tests.Protocol;

/// <summary>Each bounded context's wire table registers exactly the concrete types that carry its marker.</summary>
public sealed class WireTableSpecs
{
    private static IEnumerable<Type> Marked(Type marker) =>
        typeof(IAkkaByzMessage).Assembly.GetTypes().Where(t => marker.IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false });

    public static TheoryData<string> Contexts => ["protocol", "cluster", "transport"];

    private static (Type Marker, WireTable Table) Context(string name) => name switch
    {
        "protocol" => (typeof(IAkkaByzMessage), AkkaByzSerializer.Table),
        "cluster" => (typeof(IAkkaByzClusterMessage), ClusterProtocolSerializer.Table),
        "transport" => (typeof(IAkkaByzTransportMessage), TransportSerializer.Table),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Contexts))]
    public void Every_message_type_with_the_marker_has_one_registration_and_nothing_else_is_registered(string context)
    {
        var (marker, table) = Context(context);
        var marked = Marked(marker).ToHashSet();
        Assert.NotEmpty(marked);
        Assert.Empty(marked.Except(table.Types).Select(t => t.Name));
        Assert.Empty(table.Types.Except(marked).Select(t => t.Name));
        Assert.All(marked, t => Assert.True(t.IsSealed, $"{t.Name} must be sealed: the table looks messages up by their exact type."));
    }

    [Fact]
    public void No_type_carries_two_markers_and_no_manifest_is_shared_within_a_serializer()
    {
        var protocol = Marked(typeof(IAkkaByzMessage)).ToHashSet();
        var cluster = Marked(typeof(IAkkaByzClusterMessage)).ToHashSet();
        var transport = Marked(typeof(IAkkaByzTransportMessage)).ToHashSet();
        Assert.Empty(protocol.Intersect(cluster));
        Assert.Empty(protocol.Intersect(transport));
        Assert.Empty(cluster.Intersect(transport));
        foreach (var table in new[] { AkkaByzSerializer.Table, ClusterProtocolSerializer.Table, TransportSerializer.Table })
            Assert.Equal(table.Types.Count, table.Manifests.Count);
    }

    [Fact]
    public void The_tables_write_the_same_bytes_as_the_wire_format_documents()
    {
        // Update: i64 round, f64 loss, floats (i32 count + raw little-endian float32).
        Assert.Equal(
            Convert.FromHexString("2A00000000000000" + "000000000000E03F" + "01000000" + "0000803F"),
            AkkaByzSerializer.Table.Encode(new Update(42, [1f], 0.5)));
        // JoinRun: string name (i32 byte count + UTF-8), i32 previous index, string incarnation.
        Assert.Equal(Convert.FromHexString("0100000077" + "FFFFFFFF" + "00000000"), ClusterProtocolSerializer.Table.Encode(new JoinRun("w", -1, "")));
        // VectorEndpoint: i32 port, string mode, i64 nonce.
        Assert.Equal(Convert.FromHexString("50000000" + "0300000074637" + "0" + "0700000000000000"), TransportSerializer.Table.Encode(new VectorEndpoint(80, "tcp", 7)));
        // A chunk without envelope: i64 transfer id, i32 index, bool 0, floats.
        Assert.Equal(Convert.FromHexString("0300000000000000" + "01000000" + "00" + "01000000" + "00000040"),
            TransportSerializer.Table.Encode(new VectorChunk(3, 1, new float[] { 2f }, null)));
        Assert.Equal("vc", TransportSerializer.Table.Manifest(new VectorChunk(3, 1, new float[] { 2f }, null)));
        Assert.Equal("u", AkkaByzSerializer.Table.Manifest(new Update(42, [1f], 0.5)));
        Assert.Equal("cj", ClusterProtocolSerializer.Table.Manifest(new JoinRun("w", -1, "")));
    }

    [Fact]
    public void An_unknown_manifest_or_type_is_a_clear_error()
    {
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => AkkaByzSerializer.Table.Decode([1, 2], "zz"));
        Assert.Contains("unknown manifest 'zz'", e.Message);
        Assert.Throws<ArgumentException>(() => ClusterProtocolSerializer.Table.Manifest(new Update(1, [], 0)));
        Assert.Throws<ArgumentException>(() => TransportSerializer.Table.Encode("not a message"));
    }
}
