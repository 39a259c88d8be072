namespace AkkaByz.Core.Plugins;

/// <summary>
/// An assembly's entry point for <c>akkabyz ... --plugin FILE.dll</c>: every public, non-abstract class with a
/// parameterless constructor that implements this interface is created once and <see cref="Register"/> is called,
/// before the run's settings are validated. It adds its rules with
/// <see cref="Aggregation.RuleRegistry.Register"/> and its attacks with <see cref="Attacks.AttackRegistry.Register"/>;
/// they are then named in specs, help, validation and docs tables exactly like the built-in ones.
/// </summary>
public interface IAkkaByzPlugin
{
    void Register();
}
