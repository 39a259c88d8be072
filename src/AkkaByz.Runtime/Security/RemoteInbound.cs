using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace AkkaByz.Runtime.Security;

/// <summary>
/// What a protocol message that arrived through Akka.Remote in mode = mtls becomes: no actor handles it, so it ends as
/// an unhandled message (dead letters are not logged). It was counted when it was refused.
/// </summary>
public sealed record RefusedRemoteMessage(string Manifest) : INoSerializationVerificationNeeded;

/// <summary>The serializers' guard: in mode = mtls no protocol message is taken from (or given to) Akka.Remote.</summary>
internal static class RemoteInbound
{
    /// <summary>True when the system runs mode = mtls (then only the vector carrier moves protocol messages between nodes).</summary>
    public static bool IsGuarded(ExtendedActorSystem system) => NodeSecurity.Get(system).IsSecure;

    public static RefusedRemoteMessage Refuse(ExtendedActorSystem system, string manifest)
    {
        NodeSecurity.Get(system).Refuse("via-akka-remote", "akka-remote",
            $"a protocol message (manifest '{manifest}') arrived through Akka.Remote, where its sender is not proven; in mode = mtls they travel only on the vector carrier");
        return new RefusedRemoteMessage(manifest);
    }
}

/// <summary>
/// Replaces Akka's JSON fallback serializer (identifier 1) on cluster nodes: a message type without a binary
/// serializer of its own must not cross the network, and nothing that arrives in JSON is deserialized (JSON names
/// the type to build, so an admitted peer could otherwise construct any local-only message, such as a forged
/// run result or an actor's private completion message). Serializing throws (a bug: bind the type); deserializing
/// counts the attempt and yields <see cref="RefusedRemoteMessage"/>.
/// </summary>
public sealed class RefusingJsonSerializer : Serializer
{
    public RefusingJsonSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <summary>Akka passes the json serializer's settings section (<c>serialization-settings.json</c>); it is not needed.</summary>
    public RefusingJsonSerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : base(system)
    {
    }

    public override int Identifier => 1;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj?.GetType().FullName ?? "null"} has no binary serializer; cluster nodes do not send JSON (akka.actor.serializers.json is refused).");

    public override object FromBinary(byte[] bytes, Type type)
    {
        NodeSecurity.Get(system).Refuse("json", "akka-remote", $"a JSON-serialized message ({type?.Name ?? "untyped"}, {bytes.Length} bytes) arrived; cluster nodes never deserialize JSON");
        return new RefusedRemoteMessage(type?.Name ?? "json");
    }
}

/// <summary>
/// Akka's "akka-misc" serializer (identifier 16) on mtls nodes, unchanged except that a PoisonPill or Kill that
/// arrives from another node is refused (counted) instead of stopping the actor it names: an admitted node could
/// otherwise stop the coordinator or any worker with one message. Everything else (Identify, heartbeats, Status...)
/// is Akka's own code.
/// </summary>
public sealed class GuardedMiscSerializer : SerializerWithStringManifest
{
    private readonly Akka.Remote.Serialization.MiscMessageSerializer _inner;

    public GuardedMiscSerializer(ExtendedActorSystem system) : base(system) => _inner = new Akka.Remote.Serialization.MiscMessageSerializer(system);

    public override int Identifier => 16;

    public override string Manifest(object o) => _inner.Manifest(o);

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest is "PP" or "K")
        {
            NodeSecurity.Get(system).Refuse("remote-stop", "akka-remote", $"a {(manifest == "PP" ? "PoisonPill" : "Kill")} arrived from another node; nodes never stop each other's actors");
            return new RefusedRemoteMessage(manifest);
        }
        return _inner.FromBinary(bytes, manifest);
    }
}

/// <summary>
/// Replaces Akka's "daemon-create" serializer (identifier 3, remote deployment) on mtls nodes: no node may create
/// actors on another (a deployment names the actor type to instantiate). Refused and counted.
/// </summary>
public sealed class RefusingDeploymentSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 3;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException("AkkaByz nodes do not deploy actors on other nodes (remote deployment is refused in mode = mtls).");

    public override object FromBinary(byte[] bytes, Type type)
    {
        NodeSecurity.Get(system).Refuse("remote-deployment", "akka-remote", "another node tried to create an actor here (remote deployment); refused");
        return new RefusedRemoteMessage("daemon-create");
    }
}
