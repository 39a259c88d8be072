// Torch's intra-op thread count is process-wide and the memory test reads the process's RSS: run tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
