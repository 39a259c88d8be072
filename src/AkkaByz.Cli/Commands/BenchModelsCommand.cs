using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AkkaByz.Cli.Benchmarks;
using AkkaByz.Torch;

namespace AkkaByz.Cli.Commands;

/// <summary>
/// <c>akkabyz bench models</c>: gradients per second of each model at each batch size, with W concurrent workers ×
/// 1 torch thread and with 1 worker × T torch threads; then resident memory over thousands of steps.
/// </summary>
public static class BenchModelsCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models")
        {
            Description = $"Comma-separated models ({string.Join(", ", ModelBenchmarkCase.All.Select(c => c.Name))}).",
            DefaultValueFactory = _ => string.Join(",", ModelBenchmarkCase.All.Select(c => c.Name)),
        };
        var batches = new Option<string>("--batches") { Description = "Comma-separated minibatch sizes.", DefaultValueFactory = _ => "4,64" };
        var threads = new Option<string>("--threads")
        {
            Description = "Comma-separated parallelism levels P: each is run as P workers × 1 torch thread and (P > 1) as 1 worker × P torch threads.",
            DefaultValueFactory = _ => "1,2",
        };
        var steps = new Option<int>("--steps") { Description = "Minimum timed gradients per worker per configuration (each worker also runs for at least 1 s).", DefaultValueFactory = _ => 100 };
        var memorySteps = new Option<int>("--memory-steps")
        {
            Description = "Gradients in the memory trace (one worker, batch 64, cnn-mnist if selected, else the first model); 0 skips it.",
            DefaultValueFactory = _ => 2000,
        };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON instead of a table." };

        var command = new Command("models", "Gradients per second of each model (batch sizes, workers/threads) and memory over many steps.")
        {
            models, batches, threads, steps, memorySteps, json,
        };
        command.SetAction(parse =>
        {
            var names = List(parse.GetValue(models)!);
            var unknown = names.Where(n => ModelBenchmarkCase.All.All(c => c.Name != n)).ToArray();
            if (unknown.Length > 0)
            {
                Console.Error.WriteLine($"Unknown model(s) {string.Join(", ", unknown)}; valid: {string.Join(", ", ModelBenchmarkCase.All.Select(c => c.Name))}.");
                return 2;
            }
            int[] batchSizes, levels;
            try
            {
                batchSizes = List(parse.GetValue(batches)!).Select(int.Parse).ToArray();
                levels = List(parse.GetValue(threads)!).Select(int.Parse).ToArray();
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"--batches and --threads take comma-separated integers: {e.Message}");
                return 2;
            }
            int n = parse.GetValue(steps), mem = parse.GetValue(memorySteps);
            if (n < 1 || mem < 0 || batchSizes.Any(b => b < 1) || levels.Any(p => p < 1))
            {
                Console.Error.WriteLine("--steps, --batches and --threads must be positive, --memory-steps non-negative.");
                return 2;
            }
            bool asJson = parse.GetValue(json);
            try
            {
                return Run(names.Select(nm => ModelBenchmarkCase.All.First(c => c.Name == nm)).ToArray(), batchSizes, levels, n, mem, asJson);
            }
            catch (TorchRuntimeException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        });
        return command;
    }

    private static int Run(ModelBenchmarkCase[] cases, int[] batches, int[] levels, int steps, int memorySteps, bool asJson)
    {
        TorchRuntime.EnsureLoaded(1); // fail fast with the clear start-up error before printing anything
        var rows = new List<ModelBenchmarkRow>();
        if (!asJson)
        {
            Console.WriteLine($"bench models: ≥ {steps} timed gradients and ≥ 1 s per worker after ≥ 10 warm-up steps and ≥ 0.25 s; float32; {Environment.ProcessorCount} logical CPUs; RSS {ModelBenchmark.RssMiB():F0} MiB with torch loaded");
            Console.WriteLine($"{"model",-10} {"params",9} {"batch",5} {"workers",7} {"torch-thr",9} {"grad/s",9} {"ms/grad",8} {"RSS MiB",15}");
        }
        foreach (var c in cases)
            foreach (int b in batches)
                foreach (int p in levels)
                {
                    var configs = p == 1 ? new[] { (1, 1) } : c.UsesTorchThreads ? new[] { (p, 1), (1, p) } : new[] { (p, 1) };
                    foreach (var (workers, torchThreads) in configs)
                    {
                        var row = ModelBenchmark.Measure(c, b, workers, torchThreads, steps);
                        rows.Add(row);
                        if (!asJson)
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"{row.Model,-10} {row.Parameters,9:N0} {row.Batch,5} {row.Workers,7} {row.TorchThreads,9} {row.GradientsPerSecond,9:F1} {row.MillisecondsPerGradient,8:F3} {row.RssBeforeMiB,6:F0} → {row.RssAfterMiB,5:F0}"));
                    }
                }

        ModelMemoryTrace? trace = null;
        if (memorySteps > 0)
        {
            trace = ModelBenchmark.TraceMemory(cases.FirstOrDefault(c => c.Name == "cnn-mnist") ?? cases[0], 64, memorySteps);
            if (!asJson)
            {
                var samples = string.Join(", ", trace.Samples.Select(s => FormattableString.Invariant($"{s.Step}: {s.RssMiB:F0}")));
                Console.WriteLine(FormattableString.Invariant(
                    $"memory: {trace.Model} batch {trace.Batch}, {trace.Steps} steps, RSS MiB by step: {samples} (growth {trace.GrowthMiB:F1} MiB, after step {trace.Samples[1].Step}: {trace.SteadyGrowthMiB:F1} MiB)"));
            }
        }

        if (asJson)
        {
            var doc = new
            {
                rows,
                memory = trace is null ? null : new { trace.Model, trace.Batch, trace.Steps, samples = trace.Samples.Select(s => new { step = s.Step, rssMiB = s.RssMiB }), growthMiB = trace.GrowthMiB, steadyGrowthMiB = trace.SteadyGrowthMiB },
            };
            Console.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        }
        return 0;
    }

    private static string[] List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
