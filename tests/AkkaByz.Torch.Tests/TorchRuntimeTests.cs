using TorchSharp;

namespace AkkaByz.Torch.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void Native_library_loads_and_computes()
    {
        // Fails with TorchRuntimeException (loader message + fix) if libLibTorchSharp.so was not patched.
        TorchRuntime.EnsureLoaded(1);
        using var a = torch.tensor(new float[] { 1, 2, 3 });
        Assert.Equal(14f, a.dot(a).item<float>());
        Assert.Equal(1, TorchRuntime.Threads);
    }

    [Fact]
    public void Allocator_settings_are_applied_on_linux()
    {
        TorchRuntime.EnsureLoaded(1);
        Assert.Equal(OperatingSystem.IsLinux(), TorchRuntime.AllocatorTuned);
    }

    [Fact]
    public void Output_copy_of_the_native_library_has_its_GLIBCXX_3_4_32_requirement_weak()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"));
        var flags = ElfVersionNeeds.Flags(bytes, "GLIBCXX_3.4.32");
        Assert.NotEmpty(flags); // TorchSharp 0.107.0 does ask for it
        Assert.All(flags, f => Assert.Equal(0x2, f & 0x2));
    }

    [Fact]
    public void Thread_count_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.EnsureLoaded(0));
    }

    [Fact]
    public void Missing_GLIBCXX_version_gets_the_weak_version_fix_in_the_message()
    {
        var message = TorchRuntime.Describe("Unable to load shared library 'x'.\n/lib/libstdc++.so.6: version `GLIBCXX_3.4.32' not found", null);
        Assert.Contains("GLIBCXX_3.4.32", message);
        Assert.Contains("build/AkkaByz.Torch.targets", message);
        Assert.DoesNotContain("\n", message);
    }

    [Fact]
    public void Diagnosis_names_the_folder_and_the_torch_message()
    {
        var message = TorchRuntime.Diagnose(new DllNotFoundException("boom"));
        Assert.Contains(AppContext.BaseDirectory, message);
        Assert.Contains("boom", message);
    }
}

/// <summary>Independent reader of .gnu.version_r for the test (the build task has its own).</summary>
internal static class ElfVersionNeeds
{
    public static List<int> Flags(byte[] b, string version)
    {
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        var result = new List<int>();
        for (int s = 0; s < shnum; s++)
        {
            int sh = (int)shoff + s * shentsize;
            if (BitConverter.ToUInt32(b, sh + 4) != 0x6ffffffe) continue;
            int off = (int)BitConverter.ToUInt64(b, sh + 0x18);
            int link = (int)BitConverter.ToUInt32(b, sh + 0x28), count = (int)BitConverter.ToUInt32(b, sh + 0x2C);
            int str = (int)BitConverter.ToUInt64(b, (int)shoff + link * shentsize + 0x18);
            int vn = off;
            for (int n = 0; n < count; n++)
            {
                int aux = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                for (int j = 0; j < BitConverter.ToUInt16(b, vn + 2); j++)
                {
                    int name = str + (int)BitConverter.ToUInt32(b, aux + 8), end = name;
                    while (b[end] != 0) end++;
                    if (System.Text.Encoding.ASCII.GetString(b, name, end - name) == version) result.Add(BitConverter.ToUInt16(b, aux + 4));
                    aux += (int)BitConverter.ToUInt32(b, aux + 12);
                }
                vn += (int)BitConverter.ToUInt32(b, vn + 12);
            }
        }
        return result;
    }
}

public class OpenMpWaitPolicyTests
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name);

    [Fact]
    public void Native_environment_has_a_wait_policy_after_loading()
    {
        TorchRuntime.EnsureLoaded(1);
        var value = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(GetEnv("OMP_WAIT_POLICY"));
        // PASSIVE unless the user chose one before start.
        Assert.Equal(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } user ? user : TorchRuntime.DefaultOmpWaitPolicy, value);
    }
}
