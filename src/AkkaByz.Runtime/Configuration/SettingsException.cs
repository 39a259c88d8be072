namespace AkkaByz.Runtime.Configuration;

/// <summary>An invalid or inconsistent setting; the message names the HOCON key (and the flag users know it by).</summary>
public sealed class SettingsException(string message, Exception? inner = null) : Exception(message, inner);
