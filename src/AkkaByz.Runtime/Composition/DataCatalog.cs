using AkkaByz.Core.Data;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary>Data source and partition names → AkkaByz.Core loaders (<see cref="DataSources"/>, <see cref="Partitioner"/>).</summary>
public static class DataCatalog
{
    private static readonly Lock CacheGate = new();
    // Weak references to the data sets themselves (what runs hold), not to a wrapper nobody else references.
    private static readonly Dictionary<(string Source, int MaxTrain, string Normalization), (WeakReference<DataSet> Train, WeakReference<DataSet> Test)> Cache = [];

    /// <summary>
    /// Loads (train, test) for <c>akkabyz.data</c>; the synthetic task is the fixed embedded one (seed 1), whatever the
    /// run seed. The normalisation (<see cref="DataSettings.EffectiveNormalization"/>) is applied after max-train, so
    /// standardisation uses the statistics of the training examples the run uses. Runs in one process share what they
    /// load: while any run still holds the data of a (source, max-train, normalisation), another run gets the same read-only instances instead of a second copy (an experiment with 2
    /// Fashion-MNIST cells at once peaked at 2.5 GB RSS with a copy per cell). Nothing writes to a loaded
    /// <see cref="DataSet"/>; data attacks (LF) transform a copy. Held weakly: memory is freed once no run uses it.
    /// </summary>
    /// <exception cref="SettingsException">Missing or corrupt files, unknown source; the message names the key and the path.</exception>
    public static (DataSet Train, DataSet Test) Load(DataSettings data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var normalization = data.EffectiveNormalization;
        var key = (data.Source.ToString(), data.MaxTrain, normalization.ToString());
        lock (CacheGate) // one load at a time: a second run asking for the same data waits for the first and shares it
        {
            if (Cache.TryGetValue(key, out var weak) && weak.Train.TryGetTarget(out var cachedTrain) && weak.Test.TryGetTarget(out var cachedTest))
                return (cachedTrain, cachedTest);
            try
            {
                var (train, test) = DataSources.Load(key.Item1);
                if (data.MaxTrain > 0 && data.MaxTrain < train.Count) train = train.Take(data.MaxTrain);
                normalization.ApplyInPlace(train, test); // fresh arrays: the loader's, or Take's copy
                Cache[key] = (new WeakReference<DataSet>(train), new WeakReference<DataSet>(test));
                foreach (var dead in Cache.Where(kv => !kv.Value.Train.TryGetTarget(out _)).Select(kv => kv.Key).ToArray()) Cache.Remove(dead);
                return (train, test);
            }
            catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                throw new SettingsException($"akkabyz.data.source = {data.Source}: {e.Message}", e);
            }
        }
    }

    /// <summary>One shard of training indices per worker.</summary>
    public static int[][] Partition(PartitionSpec partition, DataSet train, int workers, int seed)
    {
        if (train.Count < workers)
            throw new SettingsException($"akkabyz.workers: {workers} workers but only {train.Count} training examples.");
        try
        {
            return Partitioner.Create(partition.ToString(), train, workers, seed);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"akkabyz.data.partition = {partition}: {e.Message}", e);
        }
    }
}
