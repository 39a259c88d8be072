using System.Text.Json;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Hosting;

/// <summary>summary.json: the configuration, the outcome (final accuracy, rounds/s, wall time) and the counters.</summary>
public static class RunReport
{
    public static void WriteSummary(string path, AkkaByzSettings s, long rounds, TrainingResult result)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();

        w.WriteStartObject("config");
        w.WriteString("data", s.Data.Source.ToString());
        w.WriteString("partition", s.Data.Partition.ToString());
        w.WriteNumber("max_train", s.Data.MaxTrain);
        w.WriteString("normalization", s.Data.EffectiveNormalization.ToString());
        w.WriteString("model", s.Model);
        w.WriteNumber("workers", s.Workers);
        w.WriteNumber("byzantine", s.Byzantine);
        w.WriteString("attack", s.Attack);
        w.WriteString("aggregator", s.Aggregator);
        w.WriteStartObject("optimizer");
        w.WriteString("name", s.Optimizer.Name);
        w.WriteNumber("lr", s.Optimizer.LearningRate);
        w.WriteNumber("beta", s.Optimizer.Beta);
        w.WriteNumber("beta_min", s.Optimizer.BetaMin);
        w.WriteNumber("gamma_min", s.Optimizer.GammaMin);
        w.WriteBoolean("theory", s.Optimizer.Theory);
        w.WriteNumber("clip", s.Optimizer.Clip);
        w.WriteNumber("weight_decay", s.Optimizer.WeightDecay);
        w.WriteEndObject();
        w.WriteNumber("batch_size", s.BatchSize);
        w.WriteNumber("rounds", rounds);
        w.WriteNumber("eval_interval", s.EvalInterval);
        w.WriteNumber("seed", s.Seed);
        w.WriteNumber("round_deadline_ms", s.Barrier.RoundDeadline.TotalMilliseconds);
        w.WriteNumber("quorum", s.Barrier.Quorum);
        w.WriteNumber("max_retries", s.Barrier.MaxRetries);
        w.WriteStartObject("faults");
        WriteStrings(w, "crash", s.Faults.Crashes.Select(c => c.ToString()));
        w.WriteNumber("crash_rate", s.Faults.CrashRate);
        WriteStrings(w, "stragglers", s.Faults.Stragglers.Select(c => c.ToString()));
        WriteStrings(w, "messages", s.Faults.Messages.Select(c => c.ToString()));
        w.WriteEndObject();
        w.WriteEndObject();

        var run = result.Run;
        w.WriteBoolean("completed", run.Completed);
        w.WriteString("reason", run.Reason);
        w.WriteNumber("rounds_run", run.Rounds);
        w.WriteNumber("final_test_accuracy", result.Final.Accuracy);
        w.WriteNumber("final_test_loss", Finite(result.Final.Loss));
        w.WriteNumber("rounds_per_second", result.RoundsPerSecond);
        w.WriteNumber("training_seconds", run.WallSeconds);
        w.WriteNumber("setup_seconds", result.SetupSeconds);
        w.WriteNumber("updates_accepted", run.UpdatesAccepted);
        w.WriteNumber("suspects_trimmed", run.Suspects);
        w.WriteNumber("rejected_total", result.RejectedTotal);
        JsonCounts.WriteCounts(w, "rejected", run.Rejected);
        w.WriteNumber("dimension", run.FinalParameters.Length);
        w.WriteEndObject();
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : -1;

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
