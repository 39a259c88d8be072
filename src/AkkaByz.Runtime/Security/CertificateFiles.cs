using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Security;

/// <summary>
/// Reading and writing certificate files: certificates as PEM or DER, node certificates as PKCS#12, secrets with
/// owner-only permissions. Every failure is a <see cref="SettingsException"/> that names the file.
/// </summary>
public static class CertificateFiles
{
    /// <summary>rw------- : private keys and PFX files.</summary>
    public const UnixFileMode SecretFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx------ : folders created for keys.</summary>
    public const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Loads one X.509 certificate from a PEM (the first <c>CERTIFICATE</c> block) or DER file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file is meant to hold, for messages (e.g. "the CA certificate").</param>
    public static X509Certificate2 LoadCertificate(string path, string what = "certificate")
    {
        var bytes = ReadAll(path, what);
        if (LooksLikePem(bytes))
        {
            var text = Encoding.ASCII.GetString(bytes);
            var rest = text.AsSpan();
            while (PemEncoding.TryFind(rest, out var fields))
            {
                if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
                    return Parse(Convert.FromBase64String(rest[fields.Base64Data].ToString()), path, what);
                rest = rest[fields.Location.End.GetOffset(rest.Length)..];
            }
            throw new SettingsException($"{path}: no PEM CERTIFICATE block (expected {what}).");
        }
        if (IsPkcs12(bytes))
            throw new SettingsException($"{path}: is a PKCS#12 (.pfx) file; expected {what} as a PEM or DER certificate.");
        return Parse(bytes, path, what);
    }

    /// <summary>
    /// Loads the certificate that has a private key from a PKCS#12 (.pfx) file (<paramref name="password"/> may be
    /// null or empty for a file without one).
    /// </summary>
    public static X509Certificate2 LoadPkcs12(string path, string? password, string what = "node certificate")
    {
        var bytes = ReadAll(path, what);
        try
        {
            return X509CertificateLoader.LoadPkcs12(bytes, password, X509KeyStorageFlags.DefaultKeySet);
        }
        catch (CryptographicException e)
        {
            var hint = IsPkcs12(bytes) ? "wrong password?" : "not a PKCS#12 (.pfx) file";
            throw new SettingsException($"{path}: cannot open {what} ({hint}): {OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// Loads a certificate from any of the formats above: PKCS#12 when the content says so (also every certificate in
    /// its bag into <paramref name="others"/>), PEM or DER otherwise.
    /// </summary>
    public static X509Certificate2 LoadAny(string path, string? password, out IReadOnlyList<X509Certificate2> others)
    {
        var bytes = ReadAll(path, "certificate");
        others = [];
        if (!LooksLikePem(bytes) && IsPkcs12(bytes))
        {
            var main = LoadPkcs12(path, password, "the PKCS#12 file");
            try
            {
                var bag = X509CertificateLoader.LoadPkcs12Collection(bytes, password);
                var rest = new List<X509Certificate2>();
                foreach (var c in bag)
                {
                    if (c.RawDataMemory.Span.SequenceEqual(main.RawDataMemory.Span)) c.Dispose();
                    else rest.Add(c);
                }
                others = rest;
            }
            catch (CryptographicException)
            {
                // The main certificate opened; the rest of the bag is only shown.
            }
            return main;
        }
        return LoadCertificate(path);
    }

    /// <summary>
    /// Writes a secret atomically with mode 0600 on Unix: to a new file created with that mode, then moved over
    /// <paramref name="path"/> (an older file's looser mode does not carry over).
    /// </summary>
    public static void WriteSecret(string path, ReadOnlySpan<byte> content)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = SecretFileMode;
        try
        {
            using (var stream = new FileStream(temporary, options)) stream.Write(content);
            File.Move(temporary, path, overwrite: true);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, SecretFileMode);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes a public file (a certificate) atomically.</summary>
    public static void WritePublic(string path, string content)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temporary, content, Encoding.ASCII);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Creates <paramref name="directory"/> with mode 0700 on Unix when it does not exist (an existing folder keeps its mode).</summary>
    public static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, PrivateDirectoryMode);
    }

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static byte[] ReadAll(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SettingsException($"{path}: no such file (expected {what}).", e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new SettingsException($"{path}: cannot read {what}: {OneLine(e.Message)}", e);
        }
    }

    private static X509Certificate2 Parse(byte[] der, string path, string what)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new SettingsException($"{path}: not a valid X.509 certificate (expected {what}): {OneLine(e.Message)}", e);
        }
    }

    private static bool LooksLikePem(byte[] bytes)
    {
        var head = Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 4096));
        return head.Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static bool IsPkcs12(byte[] bytes)
    {
        try
        {
            return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
