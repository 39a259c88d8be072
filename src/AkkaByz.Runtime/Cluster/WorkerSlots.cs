using Akka.Actor;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// The coordinator's slot registry: which worker principal (certificate identity in mtls mode, else the node actor's
/// path) holds which of the m worker slots, and through which node actor. One slot per principal; a principal that
/// comes back from a new node actor keeps its slot. No actor code: the coordinator watches the hosts and calls
/// <see cref="Release"/> on their termination.
/// <para>
/// A holder may also have a stable identity (the certificate identity in mtls mode, else the worker's configured name,
/// or none): when its slot is released, the slot stays reserved for that identity, so that a worker node restarted
/// as a new process (no previous index) gets back the slot its stored optimizer states belong to. A reservation only
/// chooses among free slots: it never keeps anyone out — a newcomer takes an unreserved free slot when there is one,
/// else a reserved one, and whoever takes a slot first drops its reservation. At most one reservation per slot and per identity: at most m.
/// </para>
/// </summary>
public sealed class WorkerSlots(int workers)
{
    private readonly Dictionary<string, int> _slotOfPrincipal = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string Principal, IActorRef Host)> _holderOfSlot = [];
    private readonly Dictionary<int, string> _identityOfSlot = []; // held slots whose holder has a stable identity
    private readonly Dictionary<string, int> _reservedSlotOf = new(StringComparer.Ordinal); // free slots, by the identity that held them last
    private readonly Dictionary<int, string> _reservedBy = [];

    public int Workers { get; } = workers >= 1 ? workers : throw new ArgumentOutOfRangeException(nameof(workers), workers, "must be at least 1");

    /// <summary>The held slots in slot order.</summary>
    public IEnumerable<(int Slot, string Principal, IActorRef Host)> Held =>
        _holderOfSlot.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.Principal, kv.Value.Host));

    public IEnumerable<IActorRef> Hosts => _holderOfSlot.Values.Select(v => v.Host);

    /// <summary>
    /// The stable identity known for each slot, in slot order: its holder's, or for a free slot the one that held it
    /// last (its reservation). What a checkpoint records, so that a take-over can <see cref="Reserve"/> them again.
    /// </summary>
    public IReadOnlyList<(int Slot, string Identity)> Identities =>
        _identityOfSlot.Concat(_reservedBy).OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)).ToArray();

    /// <summary>The number of reserved (free) slots; never more than <see cref="Workers"/>.</summary>
    public int Reservations => _reservedBy.Count;

    public bool TryGetSlot(string principal, out int slot) => _slotOfPrincipal.TryGetValue(principal, out slot);

    public bool TryGetHolder(int slot, out (string Principal, IActorRef Host) holder) => _holderOfSlot.TryGetValue(slot, out holder);

    /// <summary>The free slot reserved for <paramref name="identity"/> (the one it held last), if any.</summary>
    public bool TryGetReserved(string identity, out int slot) => _reservedSlotOf.TryGetValue(identity, out slot);

    /// <summary>
    /// A free slot for a new principal: its previous index if that is free (a worker coming back after a fail-over),
    /// else the slot reserved for its stable <paramref name="identity"/> (the one it held before it restarted), else
    /// the lowest free slot not reserved for another identity, else the lowest free one; -1 when all are held. Taking a slot drops that slot's reservation, whoever held it, and
    /// the identity's own reservation of another slot.
    /// </summary>
    public int Assign(string principal, IActorRef host, int previousIndex, string? identity = null)
    {
        if (_slotOfPrincipal.ContainsKey(principal)) throw new InvalidOperationException($"{principal} already holds slot {_slotOfPrincipal[principal]}.");
        var slot = previousIndex >= 0 && previousIndex < Workers && !_holderOfSlot.ContainsKey(previousIndex) ? previousIndex
            : identity is not null && _reservedSlotOf.TryGetValue(identity, out var reserved) ? reserved // reserved slots are free
            : LowestFree();
        if (slot < 0) return -1;
        Unreserve(slot);
        if (identity is not null && _reservedSlotOf.Remove(identity, out var other)) _reservedBy.Remove(other);
        _slotOfPrincipal[principal] = slot;
        _holderOfSlot[slot] = (principal, host);
        if (identity is not null) _identityOfSlot[slot] = identity;
        return slot;
    }

    /// <summary>
    /// The principal's slot now goes through <paramref name="host"/> (its node restarted), whose stable identity is
    /// <paramref name="identity"/> (null = none); returns the old host.
    /// </summary>
    public IActorRef Rebind(int slot, IActorRef host, string? identity)
    {
        var (principal, old) = _holderOfSlot[slot];
        _holderOfSlot[slot] = (principal, host);
        if (identity is null) _identityOfSlot.Remove(slot);
        else _identityOfSlot[slot] = identity;
        return old;
    }

    /// <summary>
    /// Frees every slot held through <paramref name="host"/> (it terminated), each reserved for its holder's stable
    /// identity if it had one; returns those slots.
    /// </summary>
    public int[] Release(IActorRef host)
    {
        var held = _holderOfSlot.Where(kv => kv.Value.Host.Equals(host)).Select(kv => kv.Key).ToArray();
        foreach (var slot in held)
        {
            _slotOfPrincipal.Remove(_holderOfSlot[slot].Principal);
            _holderOfSlot.Remove(slot);
            if (_identityOfSlot.Remove(slot, out var identity)) Reserve(identity, slot);
        }
        return held;
    }

    /// <summary>The lowest free slot no identity is coming back for, else the lowest free (reserved) one; -1 when all are held.</summary>
    private int LowestFree()
    {
        var reserved = -1;
        for (var i = 0; i < Workers; i++)
        {
            if (_holderOfSlot.ContainsKey(i)) continue;
            if (!_reservedBy.ContainsKey(i)) return i;
            if (reserved < 0) reserved = i;
        }
        return reserved;
    }

    /// <summary>
    /// Reserves the free <paramref name="slot"/> for <paramref name="identity"/> (e.g. the identities a restored
    /// checkpoint recorded), replacing the slot's reservation and the identity's reservation of another slot.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The slot is not one of the m.</exception>
    /// <exception cref="InvalidOperationException">The slot is held.</exception>
    public void Reserve(string identity, int slot)
    {
        ArgumentException.ThrowIfNullOrEmpty(identity);
        if (slot < 0 || slot >= Workers) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"not one of the {Workers} slots");
        if (_holderOfSlot.ContainsKey(slot)) throw new InvalidOperationException($"slot {slot} is held by {_holderOfSlot[slot].Principal}; only a free slot can be reserved.");
        Unreserve(slot);
        if (_reservedSlotOf.Remove(identity, out var other)) _reservedBy.Remove(other);
        _reservedSlotOf[identity] = slot;
        _reservedBy[slot] = identity;
    }

    private void Unreserve(int slot)
    {
        if (_reservedBy.Remove(slot, out var owner)) _reservedSlotOf.Remove(owner);
    }
}
