using AkkaByz.Core.Data;
using AkkaByz.Runtime.Configuration;

namespace AkkaByz.Runtime.Composition;

/// <summary>Data source and partition names → AkkaByz.Core loaders (<see cref="DataSources"/>, <see cref="Partitioner"/>).</summary>
public static class DataCatalog
{
    /// <summary>Loads (train, test) for <c>akkabyz.data</c>; the synthetic task is the fixed embedded one (seed 1), whatever the run seed.</summary>
    /// <exception cref="SettingsException">Missing or corrupt files, unknown source; the message names the key and the path.</exception>
    public static (DataSet Train, DataSet Test) Load(DataSettings data)
    {
        try
        {
            var (train, test) = DataSources.Load(data.Source.ToString());
            if (data.MaxTrain > 0 && data.MaxTrain < train.Count) train = train.Take(data.MaxTrain);
            return (train, test);
        }
        catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"akkabyz.data.source = {data.Source}: {e.Message}", e);
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
