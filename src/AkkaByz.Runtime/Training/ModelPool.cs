using System.Collections.Concurrent;
using AkkaByz.Core.Models;

namespace AkkaByz.Runtime.Training;

/// <summary>
/// Model instances for gradient calls: a call rents an instance, runs on it alone, and returns it. A gradient model
/// holds no state beyond what a call loads (the <see cref="IGradientModel"/> contract: the flat parameter vector is
/// copied in on every call, TorchSharp networks hold no buffers), so which instance serves a call never changes its
/// result. Shared by all the workers of a process (<c>akkabyz.compute.share-models</c>), the pool holds as many
/// instances as calls run at once — one per core — instead of two per worker, and those few stay warm in the caches,
/// as in the gradient bound's measurement; a worker's private pool is its model and, on demand, the second instance
/// for µ²-SGD's concurrent second gradient.
/// <para>
/// Thread-safe. A thread that returned an instance gets the same one back on its next rent when it can
/// (<see cref="ConcurrentBag{T}"/>'s thread-local lists). Lifetime: every computation that uses the pool holds a share
/// (<see cref="Share"/>, <see cref="Release"/>); the last release disposes the instances.
/// </para>
/// </summary>
public sealed class ModelPool
{
    private readonly ConcurrentBag<IGradientModel> _free = [];
    private readonly Func<IGradientModel>? _create;
    private readonly Lock _gate = new();
    private int _created = 1;
    private int _shares;
    private bool _disposed;

    /// <param name="first">The first instance (it also tells the dimension and the name).</param>
    /// <param name="create">Makes another instance when every one is rented; null = one call at a time.</param>
    public ModelPool(IGradientModel first, Func<IGradientModel>? create)
    {
        ArgumentNullException.ThrowIfNull(first);
        ParameterCount = first.ParameterCount;
        Name = first.Name;
        _create = create;
        _free.Add(first);
    }

    /// <summary>The model's dimension d.</summary>
    public int ParameterCount { get; }

    /// <summary>The model's name (for messages).</summary>
    public string Name { get; }

    /// <summary>True when the pool can serve calls at once (it makes instances on demand).</summary>
    public bool CanGrow => _create is not null;

    /// <summary>Instances made so far: at most the number of calls that ever ran at once.</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>A free instance, made if none is; hand it back with <see cref="Return"/>.</summary>
    /// <exception cref="InvalidOperationException">Every instance is rented and the pool cannot make more.</exception>
    public IGradientModel Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (_free.TryTake(out var model)) return model;
        if (_create is null)
            throw new InvalidOperationException($"Model '{Name}': its only instance is in use (this pool serves one call at a time).");
        var made = _create();
        if (made.ParameterCount != ParameterCount)
            throw new InvalidOperationException($"Model '{Name}': a new instance has {made.ParameterCount} parameters, the pool's have {ParameterCount}.");
        Interlocked.Increment(ref _created);
        return made;
    }

    /// <summary>Hands a rented instance back (disposed instead when the pool already is).</summary>
    public void Return(IGradientModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            if (!_disposed)
            {
                _free.Add(model);
                return;
            }
        }
        model.Dispose();
    }

    /// <summary>Takes a share of the pool (a computation that uses it); returns the pool.</summary>
    public ModelPool Share()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _shares++;
        }
        return this;
    }

    /// <summary>Gives a share back; the last one disposes the free instances (a rented one is disposed when returned).</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_shares == 0) throw new InvalidOperationException("ModelPool.Release without a share.");
            if (--_shares > 0) return;
            _disposed = true;
        }
        while (_free.TryTake(out var model)) model.Dispose();
    }
}
