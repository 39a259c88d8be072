using Akka.Actor;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// The coordinator's slot registry: which worker principal (certificate identity in mtls mode, else the node actor's
/// path) holds which of the m worker slots, and through which node actor. One slot per principal; a principal that
/// comes back from a new node actor keeps its slot. No actor code: the coordinator watches the hosts and calls
/// <see cref="Release"/> on their termination.
/// </summary>
public sealed class WorkerSlots(int workers)
{
    private readonly Dictionary<string, int> _slotOfPrincipal = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string Principal, IActorRef Host)> _holderOfSlot = [];

    public int Workers { get; } = workers >= 1 ? workers : throw new ArgumentOutOfRangeException(nameof(workers), workers, "must be at least 1");

    /// <summary>The held slots in slot order.</summary>
    public IEnumerable<(int Slot, string Principal, IActorRef Host)> Held =>
        _holderOfSlot.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.Principal, kv.Value.Host));

    public IEnumerable<IActorRef> Hosts => _holderOfSlot.Values.Select(v => v.Host);

    public bool TryGetSlot(string principal, out int slot) => _slotOfPrincipal.TryGetValue(principal, out slot);

    public bool TryGetHolder(int slot, out (string Principal, IActorRef Host) holder) => _holderOfSlot.TryGetValue(slot, out holder);

    /// <summary>
    /// A free slot for a new principal: its previous index if that is free (a worker coming back after a fail-over),
    /// else the lowest free one; -1 when all are held.
    /// </summary>
    public int Assign(string principal, IActorRef host, int previousIndex)
    {
        if (_slotOfPrincipal.ContainsKey(principal)) throw new InvalidOperationException($"{principal} already holds slot {_slotOfPrincipal[principal]}.");
        var slot = previousIndex >= 0 && previousIndex < Workers && !_holderOfSlot.ContainsKey(previousIndex) ? previousIndex
            : Enumerable.Range(0, Workers).FirstOrDefault(i => !_holderOfSlot.ContainsKey(i), -1);
        if (slot < 0) return -1;
        _slotOfPrincipal[principal] = slot;
        _holderOfSlot[slot] = (principal, host);
        return slot;
    }

    /// <summary>The principal's slot now goes through <paramref name="host"/> (its node restarted); returns the old host.</summary>
    public IActorRef Rebind(int slot, IActorRef host)
    {
        var (principal, old) = _holderOfSlot[slot];
        _holderOfSlot[slot] = (principal, host);
        return old;
    }

    /// <summary>Frees every slot held through <paramref name="host"/> (it terminated); returns those slots.</summary>
    public int[] Release(IActorRef host)
    {
        var held = _holderOfSlot.Where(kv => kv.Value.Host.Equals(host)).Select(kv => kv.Key).ToArray();
        foreach (var slot in held)
        {
            _slotOfPrincipal.Remove(_holderOfSlot[slot].Principal);
            _holderOfSlot.Remove(slot);
        }
        return held;
    }
}
