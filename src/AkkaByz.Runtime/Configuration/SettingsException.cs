using System.Text.RegularExpressions;

namespace AkkaByz.Runtime.Configuration;

/// <summary>
/// An invalid or inconsistent setting; the message names the HOCON key (and the flag users know it by). .NET's own
/// wording inside wrapped messages (<c> (Parameter 'shape')</c>) is removed: it names a C# parameter, not anything the
/// user wrote.
/// </summary>
public sealed partial class SettingsException(string message, Exception? inner = null) : Exception(Plain(message), inner)
{
    /// <summary><paramref name="message"/> without .NET's <c> (Parameter 'x')</c> suffixes.</summary>
    public static string Plain(string message) => ParameterSuffix().Replace(message, "");

    [GeneratedRegex(@" ?\(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();
}
