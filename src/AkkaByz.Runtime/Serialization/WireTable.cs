using System.Runtime.Serialization;
using Akka.Actor;

namespace AkkaByz.Runtime.Serialization;

/// <summary>Reads one message of type <typeparamref name="T"/> from its fields (the table checks that nothing is left over).</summary>
internal delegate T WireRead<out T>(ref WireReader reader);

/// <summary>
/// The serializer identifiers of the AkkaByz wire (0–40 are Akka's). The tcp vector carrier names the serializer
/// of a message frame by its frame kind and finds it by one of these.
/// </summary>
public static class WireSerializerIds
{
    /// <summary>The training protocol (<see cref="AkkaByzSerializer"/>).</summary>
    public const int Protocol = 4711;

    /// <summary>The cluster-mode control messages (AkkaByz.Runtime.Cluster.ClusterProtocolSerializer).</summary>
    public const int Cluster = 4712;

    /// <summary>The vector transport's own messages (AkkaByz.Runtime.Transport.TransportSerializer).</summary>
    public const int Transport = 4713;
}

/// <summary>
/// A serializer whose wire form the tcp vector carrier can move in a frame, bypassing Akka.Remote: the manifest and
/// the bytes of a message, and the message back from them.
/// </summary>
internal interface IWireCodec
{
    string Manifest(object message);

    byte[] Encode(object message);

    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    object Decode(byte[] bytes, string manifest);
}

/// <summary>
/// One bounded context's wire format as a table: one registration per message type (its manifest, its type, how
/// it is written and how it is read). A serializer looks messages up here instead of keeping three switches in
/// step. Reads go through a bounds-checked <see cref="WireReader"/>, and a message longer than its fields is
/// refused (<see cref="WireReader.End"/>), unless the registration reads the raw bytes itself.
/// </summary>
internal sealed class WireTable(string serializerName, string wireName)
{
    private sealed record Entry(string Manifest, Type Type, Func<object, byte[]> Write, Func<byte[], string, object> Read);

    private readonly Dictionary<Type, Entry> _byType = [];
    private readonly Dictionary<string, Entry> _byManifest = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers <typeparamref name="T"/> under <paramref name="manifest"/> (short and stable; never reuse one for a
    /// different shape): <paramref name="write"/> appends its fields to a writer of initial
    /// <paramref name="capacity"/> bytes (a hint only), <paramref name="read"/> reads them back in the same order.
    /// </summary>
    public WireTable Add<T>(string manifest, Action<WireWriter, T> write, WireRead<T> read, Func<T, int>? capacity = null) where T : class =>
        AddRaw(manifest,
            message =>
            {
                var w = new WireWriter(capacity?.Invoke(message) ?? 64);
                write(w, message);
                return w.ToArray();
            },
            (bytes, m) =>
            {
                var r = new WireReader(bytes, m);
                var result = read(ref r);
                r.End();
                return result;
            });

    /// <summary>Registers <typeparamref name="T"/> with a writer and a reader of its whole byte array (they check its bounds themselves).</summary>
    public WireTable AddRaw<T>(string manifest, Func<T, byte[]> write, Func<byte[], string, T> read) where T : class
    {
        var entry = new Entry(manifest, typeof(T), o => write((T)o), (b, m) => read(b, m));
        if (!_byType.TryAdd(typeof(T), entry)) throw new InvalidOperationException($"{serializerName}: {typeof(T).Name} is registered twice.");
        if (!_byManifest.TryAdd(manifest, entry)) throw new InvalidOperationException($"{serializerName}: manifest '{manifest}' is registered twice.");
        return this;
    }

    /// <summary>The registered message types.</summary>
    public IReadOnlyCollection<Type> Types => _byType.Keys;

    /// <summary>The registered manifests.</summary>
    public IReadOnlyCollection<string> Manifests => _byManifest.Keys;

    public string Manifest(object message) => Find(message).Manifest;

    public byte[] Encode(object message) => Find(message).Write(message);

    /// <exception cref="SerializationException">The bytes are malformed or the manifest is unknown.</exception>
    public object Decode(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (!_byManifest.TryGetValue(manifest, out var entry))
            throw new SerializationException($"{wireName}: unknown manifest '{manifest}' ({bytes.Length} bytes).");
        return entry.Read(bytes, manifest);
    }

    private Entry Find(object message) =>
        message is not null && _byType.TryGetValue(message.GetType(), out var entry)
            ? entry
            : throw new ArgumentException($"{serializerName} cannot serialize {message?.GetType().FullName ?? "null"}.", nameof(message));
}

/// <summary>
/// The <see cref="IWireCodec"/> serializers of each actor system, by identifier (Akka has no public lookup by id):
/// each registers itself when Akka creates it, and the tcp carrier finds the one a frame kind names.
/// </summary>
internal static class WireCodecs
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, System.Collections.Concurrent.ConcurrentDictionary<int, IWireCodec>> BySystem = new();

    public static void Register(ActorSystem system, int id, IWireCodec codec) => BySystem.GetOrCreateValue(system)[id] = codec;

    /// <summary>The codec of serializer <paramref name="id"/> in <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">No such serializer is configured (its HOCON binding is missing).</exception>
    public static IWireCodec Get(ActorSystem system, int id) =>
        BySystem.TryGetValue(system, out var codecs) && codecs.TryGetValue(id, out var codec)
            ? codec
            : throw new InvalidOperationException($"serializer {id} is not configured in actor system '{system.Name}' (akka.actor.serializers).");
}
