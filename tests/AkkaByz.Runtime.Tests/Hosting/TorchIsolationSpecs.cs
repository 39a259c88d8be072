using System.Reflection;
using System.Runtime.Loader;

namespace AkkaByz.Runtime.Tests.Hosting;

/// <summary>
/// Runtime references AkkaByz.Torch, but a logreg run must not load TorchSharp (nor, through it, libtorch). Other tests
/// in this process load TorchSharp, so the run happens in its own assembly load context, where every assembly it
/// needs is loaded afresh from the test folder and can be listed.
/// </summary>
public sealed class TorchIsolationSpecs
{
    private sealed class TestFolderContext() : AssemblyLoadContext("logreg-without-torch")
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null; // the shared framework comes from the default context
        }
    }

    [Fact]
    public async Task A_logreg_local_run_loads_no_TorchSharp_assembly_and_no_libtorch()
    {
        var context = new TestFolderContext();
        var tracked = false;
        using (context.EnterContextualReflection())
        {
            var runtime = context.LoadFromAssemblyName(new AssemblyName("AkkaByz.Runtime"));
            var akka = context.LoadFromAssemblyName(new AssemblyName("Akka"));
            var configType = akka.GetType("Akka.Configuration.Config", throwOnError: true)!;
            var config = akka.GetType("Akka.Configuration.ConfigurationFactory", throwOnError: true)!
                .GetMethod("ParseString", [typeof(string)])!
                .Invoke(null, ["akkabyz { model = logreg, workers = 5, byzantine = 1, attack = sf, rounds = 5, eval-interval = 5, batch-size = 4 }"])!;
            var reference = runtime.GetType("AkkaByz.Runtime.Configuration.AkkaByzConfig", throwOnError: true)!.GetProperty("Reference")!.GetValue(null)!;
            config = configType.GetMethod("WithFallback", [configType])!.Invoke(config, [reference])!;
            var settingsType = runtime.GetType("AkkaByz.Runtime.Configuration.AkkaByzSettings", throwOnError: true)!;
            var settings = settingsType.GetMethod("Create", [configType])!.Invoke(null, [config])!;
            var optionsType = runtime.GetType("AkkaByz.Runtime.Hosting.LocalTrainingOptions", throwOnError: true)!;
            var run = (Task)runtime.GetType("AkkaByz.Runtime.Hosting.LocalTraining", throwOnError: true)!
                .GetMethod("RunAsync", [settingsType, optionsType, typeof(CancellationToken)])!
                .Invoke(null, [settings, null, CancellationToken.None])!;
            await run;
            var result = run.GetType().GetProperty("Result")!.GetValue(run)!;
            var completed = result.GetType().GetProperty("Run")!.GetValue(result)!;
            Assert.True((bool)completed.GetType().GetProperty("Completed")!.GetValue(completed)!);
            tracked = true;
        }
        Assert.True(tracked);

        var loaded = context.Assemblies.Select(a => a.GetName().Name).ToList();
        Assert.Contains("AkkaByz.Runtime", loaded); // the context saw the run's own assemblies
        Assert.Contains("AkkaByz.Core", loaded);
        Assert.Contains("Akka", loaded);
        Assert.DoesNotContain("TorchSharp", loaded);
        if (!AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp") && File.Exists("/proc/self/maps"))
            Assert.DoesNotContain("libtorch", File.ReadAllText("/proc/self/maps"));
    }
}
