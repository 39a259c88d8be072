using System.Runtime.InteropServices;
using TorchSharp;

namespace AkkaByz.Torch;

/// <summary>
/// Process-wide start-up of TorchSharp's native runtime (docs/torch.md, Native library and runtime settings). Call <see cref="EnsureLoaded"/> before any
/// other torch call; <see cref="TorchModels.Create"/> does it for you.
/// <list type="bullet">
/// <item>glibc allocator settings, applied before libtorch loads: <c>M_MMAP_THRESHOLD</c> = 32 MiB,
/// <c>M_TRIM_THRESHOLD</c> = max, <c>M_MMAP_MAX</c> = 0. Without them every large activation buffer is a fresh
/// mmap/munmap pair (page faults on every step: f64 batch-64 steps measured ~5× slower here).</item>
/// <item><c>OMP_WAIT_POLICY=PASSIVE</c> unless set (idle OpenMP threads sleep rather than spin).</item>
/// <item>Loads libLibTorchSharp/libtorch and, if that fails, throws <see cref="TorchRuntimeException"/> naming the
/// failing library, the loader's message and the fix — instead of TorchSharp's misleading "not restored".</item>
/// <item>Sets libtorch's intra-op thread count (process-wide; use 1 when several workers share a process), applied
/// on every thread that computes (<see cref="ApplyToCurrentThread"/>).</item>
/// </list>
/// </summary>
public static class TorchRuntime
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;
    private const int M_MMAP_MAX = -4;

    /// <summary>Allocations at or above this size are mmapped by glibc; below, they come from the heap.</summary>
    public const int MmapThresholdBytes = 32 << 20;

    private const string LibraryName = "libLibTorchSharp.so";

    private static readonly Lock Gate = new();
    private static bool _loaded;
    private static bool _mallocTuned;

    /// <summary>Whether the glibc allocator settings were applied (false on non-glibc platforms).</summary>
    public static bool AllocatorTuned => _mallocTuned;

    /// <summary>The intra-op thread count last set by <see cref="EnsureLoaded"/> (0 before the first call).</summary>
    public static int Threads { get; private set; }

    [ThreadStatic] private static int t_threads;

    /// <summary>
    /// Applies <see cref="Threads"/> to the calling thread (once per thread and value). Needed because libtorch's
    /// <c>set_num_threads</c> sets MKL's team with <c>mkl_set_num_threads_local</c>, for the CALLING thread only: a
    /// worker computing on another (thread-pool) thread ran its matrix products with MKL's default of every core. Measured here: 4 MLP workers in one process then oversubscribed the 2 cores
    /// and their float reductions split differently from run to run (the same seed ended at 0.796–0.798 accuracy);
    /// with the count applied on every computing thread, runs repeat bit for bit. <see cref="TorchModel"/> calls it
    /// at the start of every step and evaluation.
    /// </summary>
    public static void ApplyToCurrentThread()
    {
        var n = Threads;
        if (n <= 0 || t_threads == n) return;
        torch.set_num_threads(n);
        t_threads = n;
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int param, int value);

    // Environment.SetEnvironmentVariable does not reach the native environment on Unix; libgomp reads the real one.
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>The OpenMP wait policy set before libtorch (libgomp) loads unless the user set one: <c>PASSIVE</c>.</summary>
    public const string DefaultOmpWaitPolicy = "PASSIVE";

    /// <summary>
    /// Tunes the allocator (first call only), loads the native libraries (first call only) and sets libtorch's
    /// intra-op thread count to <paramref name="threads"/> (every call; process-wide).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is not positive.</exception>
    /// <exception cref="TorchRuntimeException">The native library cannot be loaded.</exception>
    public static void EnsureLoaded(int threads = 1)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Torch thread count must be at least 1.");
        lock (Gate)
        {
            if (!_loaded)
            {
                TuneAllocator();
                SetOpenMpWaitPolicy();
                LoadNative();
                _loaded = true;
            }
            if (Threads != threads)
            {
                torch.set_num_threads(threads);
                Threads = threads;
            }
            t_threads = threads;
        }
    }

    private static void TuneAllocator()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _mallocTuned = MallOpt(M_MMAP_THRESHOLD, MmapThresholdBytes) == 1
                           & MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1
                           & MallOpt(M_MMAP_MAX, 0) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _mallocTuned = false; // musl or another libc without mallopt: run with its defaults.
        }
    }

    /// <summary>
    /// OMP_WAIT_POLICY=PASSIVE (unless already set): idle libgomp threads sleep instead of spinning. On the shared
    /// 2-core machine, spinning threads made 1 worker × 2 torch threads up to 5× slower than with PASSIVE
    /// (cnn-mnist batch 64: 6.6 vs 34–39 gradients/s, measured under load) — see docs/torch.md.
    /// </summary>
    private static void SetOpenMpWaitPolicy()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 }) return;
        try
        {
            SetEnv("OMP_WAIT_POLICY", DefaultOmpWaitPolicy, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc setenv: keep libgomp's default
        }
    }

    private static void LoadNative()
    {
        // Load the library ourselves first (its RUNPATH is $ORIGIN, so libtorch next to it resolves): on failure we get
        // the dynamic loader's own message, and TorchSharp never prints its misleading "not restored" text. TorchSharp
        // then finds the already-loaded library.
        string lib = Path.Combine(AppContext.BaseDirectory, LibraryName);
        if (OperatingSystem.IsLinux() && File.Exists(lib))
        {
            try
            {
                NativeLibrary.Load(lib);
            }
            catch (Exception e)
            {
                throw new TorchRuntimeException(Describe(e.Message, torchMessage: null), e);
            }
        }

        Exception? torchError = null;
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(2);
            if (probe.sum().item<float>() != 0f) throw new InvalidOperationException("libtorch returned a wrong sum of zeros.");
            return;
        }
        catch (Exception e)
        {
            torchError = e;
        }
        throw new TorchRuntimeException(Diagnose(torchError), torchError);
    }

    /// <summary>Loads the library directly to get the dynamic loader's own message, then says what to do.</summary>
    internal static string Diagnose(Exception torchError)
    {
        string lib = Path.Combine(AppContext.BaseDirectory, LibraryName);
        string loaderMessage;
        if (!File.Exists(lib))
        {
            loaderMessage = $"{lib} does not exist";
        }
        else
        {
            try
            {
                var handle = NativeLibrary.Load(lib);
                NativeLibrary.Free(handle);
                loaderMessage = "the library itself loads; libtorch failed afterwards";
            }
            catch (Exception e)
            {
                loaderMessage = e.Message;
            }
        }
        return Describe(loaderMessage, torchError.Message);
    }

    /// <summary>The start-up error: folder, the loader's message, TorchSharp's (if any), and what to do.</summary>
    internal static string Describe(string loaderMessage, string? torchMessage)
    {
        string dir = AppContext.BaseDirectory;
        string lib = Path.Combine(dir, LibraryName);
        loaderMessage = string.Join(" ", loaderMessage.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        string fix = loaderMessage.Contains("GLIBCXX", StringComparison.Ordinal)
            ? "The copy of libLibTorchSharp.so in the output folder still requires a newer libstdc++ (GLIBCXX_3.4.32, GCC 13) " +
              "than this system has. Rebuild (or publish) with `dotnet build`/`dotnet publish` so build/AkkaByz.Torch.targets " +
              "marks that requirement weak in the copied library (its project must be under the repository's Directory.Build.targets), " +
              "or install libstdc++ from GCC 13 or newer."
            : !File.Exists(lib)
                ? "The native TorchSharp/libtorch files were not copied next to the application: build with RuntimeIdentifier linux-x64 " +
                  "and keep the TorchSharp and libtorch-cpu-linux-x64 package references (see docs/torch.md)."
                : "Check that libtorch_cpu.so, libc10.so and libgomp-*.so are present next to libLibTorchSharp.so and that the " +
                  "machine is linux-x64 with glibc (see docs/torch.md).";
        string torch = torchMessage is null ? "" : $"TorchSharp said: {torchMessage} ";
        return $"TorchSharp's native runtime could not be loaded from {dir}. Loader says: {loaderMessage.Trim()} {torch}{fix}";
    }
}
