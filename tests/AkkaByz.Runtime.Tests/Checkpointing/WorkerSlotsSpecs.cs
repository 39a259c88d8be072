using Akka.Actor;
using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>
/// The coordinator's slot registry: one slot per principal, previous index preferred, freed with its host, and a freed
/// slot kept for the stable identity that held it until someone else takes it.
/// </summary>
public sealed class WorkerSlotsSpecs : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public ValueTask InitializeAsync()
    {
        _system = ActorSystem.Create("slots", "akka.loglevel = OFF, akka.stdout-loglevel = OFF");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();

    private IActorRef Host(string name) => _system.ActorOf(Props.Empty, name);

    [Fact]
    public void Slots_go_to_the_previous_index_if_free_else_the_lowest_and_follow_the_principal()
    {
        var slots = new WorkerSlots(3);
        var (a, b, c, d) = (Host("a"), Host("b"), Host("c"), Host("d"));
        Assert.Equal(2, slots.Assign("alice", a, previousIndex: 2)); // back after a fail-over: its old slot
        Assert.Equal(0, slots.Assign("bob", b, previousIndex: 2));   // taken: the lowest free one
        Assert.Equal(1, slots.Assign("carol", c, previousIndex: -1));
        Assert.Equal(-1, slots.Assign("dave", d, previousIndex: 0)); // all held
        Assert.Throws<InvalidOperationException>(() => slots.Assign("alice", d, 1)); // one slot per principal

        var a2 = Host("a2");
        Assert.Equal(a, slots.Rebind(2, a2, identity: null)); // alice's node restarted: same slot, new host
        Assert.True(slots.TryGetHolder(2, out var holder));
        Assert.Equal(("alice", a2), holder);

        Assert.Equal([0], slots.Release(b));
        Assert.False(slots.TryGetSlot("bob", out _));
        Assert.Empty(slots.Release(a)); // the old host holds nothing any more
        Assert.Equal(0, slots.Assign("dave", d, previousIndex: 5));
        Assert.Equal([0, 1, 2], slots.Held.Select(h => h.Slot));
    }

    [Fact]
    public void A_named_worker_restarted_as_a_new_process_gets_its_old_slot_back_not_the_lowest_free_one()
    {
        var slots = new WorkerSlots(3);
        var (h0, h1, h2) = (Host("h0"), Host("h1"), Host("h2"));
        Assert.Equal(0, slots.Assign("path-0", h0, -1, "w0"));
        Assert.Equal(1, slots.Assign("path-1", h1, -1, "w1"));
        Assert.Equal(2, slots.Assign("path-2", h2, -1, "w2"));
        Assert.Equal(0, slots.Reservations);

        Assert.Equal([2], slots.Release(h2));
        Assert.Equal([0], slots.Release(h0));
        Assert.True(slots.TryGetReserved("w2", out var kept));
        Assert.Equal(2, kept);
        Assert.Equal(2, slots.Reservations);
        Assert.Equal([(0, "w0"), (1, "w1"), (2, "w2")], slots.Identities); // held and reserved, for the checkpoint

        // w2 comes back from a new process (new node actor, no previous index): slot 2, although 0 is free and lower.
        Assert.Equal(2, slots.Assign("path-2b", Host("h2b"), -1, "w2"));
        Assert.False(slots.TryGetReserved("w2", out _));
        Assert.Equal(1, slots.Reservations); // w0's slot 0 is still kept for it
        Assert.Equal(0, slots.Assign("path-0b", Host("h0b"), -1, "w0"));
        Assert.Equal(0, slots.Reservations);
    }

    [Fact]
    public void Another_identity_takes_the_lowest_free_slot_and_the_reservation_of_that_slot_is_dropped()
    {
        var slots = new WorkerSlots(2);
        var (h0, h1) = (Host("h0"), Host("h1"));
        Assert.Equal(0, slots.Assign("path-0", h0, -1, "w0"));
        Assert.Equal(1, slots.Assign("path-1", h1, -1, "w1"));
        slots.Release(h0);

        // A reservation never keeps anyone out: a newcomer (another name) takes the lowest free slot, w0's.
        Assert.Equal(0, slots.Assign("path-x", Host("hx"), -1, "x"));
        Assert.False(slots.TryGetReserved("w0", out _));
        Assert.Equal(0, slots.Reservations);
        // w0 comes back: nothing free, refused; once w1's slot frees up, it gets that one (its reservation is gone).
        var back = Host("h0b");
        Assert.Equal(-1, slots.Assign("path-0b", back, -1, "w0"));
        slots.Release(h1);
        Assert.True(slots.TryGetReserved("w1", out _));
        Assert.Equal(1, slots.Assign("path-0b", back, -1, "w0"));
        Assert.False(slots.TryGetReserved("w1", out _)); // taken by someone else: forgotten
    }

    [Fact]
    public void A_newcomer_takes_an_unreserved_free_slot_before_a_reserved_one()
    {
        var slots = new WorkerSlots(3);
        var (h0, h1, h2) = (Host("h0"), Host("h1"), Host("h2"));
        Assert.Equal(0, slots.Assign("path-0", h0, -1, "w0"));
        Assert.Equal(1, slots.Assign("path-1", h1, -1));
        Assert.Equal(2, slots.Assign("path-2", h2, -1));
        slots.Release(h0); // kept for w0
        slots.Release(h2); // unnamed: free for anyone
        Assert.Equal(2, slots.Assign("path-x", Host("hx"), -1, "x"));
        Assert.True(slots.TryGetReserved("w0", out var kept));
        Assert.Equal(0, kept);
        Assert.Equal(0, slots.Assign("path-0b", Host("h0b"), -1, "w0"));
    }

    [Fact]
    public void A_valid_free_previous_index_wins_over_the_reservation_and_drops_the_identitys_reservation()
    {
        var slots = new WorkerSlots(3);
        var (h0, h1) = (Host("h0"), Host("h1"));
        Assert.Equal(0, slots.Assign("path-0", h0, -1, "w0"));
        Assert.Equal(1, slots.Assign("path-1", h1, -1, "w1"));
        slots.Release(h0);
        Assert.True(slots.TryGetReserved("w0", out _));

        // w0 asks for slot 2 (the slot its node last held, after a fail-over): it gets 2, and 0 is no longer kept for it.
        Assert.Equal(2, slots.Assign("path-0b", Host("h0b"), previousIndex: 2, "w0"));
        Assert.False(slots.TryGetReserved("w0", out _));
        Assert.Equal(0, slots.Reservations);
        // A previous index that is held or out of range does not win: w1's reservation (after its release) does.
        slots.Release(h1);
        Assert.Equal(1, slots.Assign("path-1b", Host("h1b"), previousIndex: 2, "w1"));
        Assert.Equal(0, slots.Assign("path-y", Host("hy"), previousIndex: 7, "y"));
    }

    [Fact]
    public void Unnamed_workers_take_the_previous_index_or_the_lowest_free_slot_and_leave_no_reservation()
    {
        var slots = new WorkerSlots(3);
        var (h0, h1, h2) = (Host("h0"), Host("h1"), Host("h2"));
        Assert.Equal(0, slots.Assign("path-0", h0, -1));
        Assert.Equal(1, slots.Assign("path-1", h1, -1));
        Assert.Equal(2, slots.Assign("path-2", h2, -1));
        slots.Release(h2);
        slots.Release(h0);
        Assert.Equal(0, slots.Reservations);
        Assert.Empty(slots.Identities);
        Assert.Equal(0, slots.Assign("path-2b", Host("h2b"), -1)); // the lowest free, as before
        Assert.Equal(2, slots.Assign("path-0b", Host("h0b"), -1));

        // A named holder's slot freed and then taken by an unnamed node (the only free one): the reservation goes.
        var named = new WorkerSlots(1);
        var n0 = Host("n0");
        Assert.Equal(0, named.Assign("path-n0", n0, -1, "w0"));
        named.Release(n0);
        Assert.Equal(0, named.Assign("path-u", Host("u"), -1));
        Assert.False(named.TryGetReserved("w0", out _));
        Assert.Empty(named.Identities);
    }

    [Fact]
    public void Reservations_are_bounded_by_m_one_per_slot_and_one_per_identity()
    {
        var slots = new WorkerSlots(2);
        slots.Reserve("w0", 0);
        slots.Reserve("w1", 1);
        slots.Reserve("w2", 1); // slot 1's reservation replaced
        Assert.False(slots.TryGetReserved("w1", out _));
        slots.Reserve("w2", 0); // w2 moves: slot 1 is no longer kept, slot 0 is w2's
        Assert.Equal(1, slots.Reservations);
        Assert.False(slots.TryGetReserved("w0", out _));
        Assert.Equal([(0, "w2")], slots.Identities);
        Assert.Throws<ArgumentOutOfRangeException>(() => slots.Reserve("w3", 2));

        // Two nodes claiming one name (without certificates a name is their word): each may hold a slot, the name keeps one.
        var (a, b) = (Host("a"), Host("b"));
        Assert.Equal(1, slots.Assign("path-a", a, -1, "twin")); // the unreserved free slot first
        Assert.Equal(0, slots.Assign("path-b", b, -1, "twin"));
        Assert.Throws<InvalidOperationException>(() => slots.Reserve("w4", 0)); // held
        slots.Release(a);
        slots.Release(b);
        Assert.Equal(1, slots.Reservations);
        Assert.True(slots.TryGetReserved("twin", out var last));
        Assert.Equal(0, last); // the one released last
    }
}
