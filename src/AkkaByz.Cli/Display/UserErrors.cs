using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Cli.Display;

/// <summary>Which exceptions are the user's to fix (reported as one line, no stack trace) and how to say them.</summary>
internal static class UserErrors
{
    public static bool IsUserError(Exception e) => e is SettingsException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or FormatException or ArgumentException or NotSupportedException or UnauthorizedAccessException;

    public static string Describe(Exception e)
    {
        var message = SettingsException.Plain(e.Message.ReplaceLineEndings(" "));
        return e is SettingsException ? message : $"error: {message}";
    }
}
