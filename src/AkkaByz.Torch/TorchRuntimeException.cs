namespace AkkaByz.Torch;

/// <summary>The TorchSharp native runtime (libLibTorchSharp.so / libtorch) could not be loaded; the message says why and how to fix it.</summary>
public sealed class TorchRuntimeException : Exception
{
    public TorchRuntimeException(string message, Exception? inner) : base(message, inner) { }
}
