using Akka.Configuration;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Tests;

/// <summary>Akka configuration of every actor test: all messages go through the serializer.</summary>
internal static class TestConfig
{
    public static readonly Config SerializeEverything = ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          actor.serialize-messages = on
          actor.serialize-creators = off
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
        }
        """);

    public static Config Full => SerializeEverything.WithFallback(AkkaByzConfig.Reference);
}
