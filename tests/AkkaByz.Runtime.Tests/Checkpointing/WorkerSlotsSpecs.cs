using Akka.Actor;
using AkkaByz.Runtime.Cluster;

namespace AkkaByz.Runtime.Tests.Checkpointing;

/// <summary>The coordinator's slot registry: one slot per principal, previous index preferred, freed with its host.</summary>
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
        Assert.Equal(a, slots.Rebind(2, a2)); // alice's node restarted: same slot, new host
        Assert.True(slots.TryGetHolder(2, out var holder));
        Assert.Equal(("alice", a2), holder);

        Assert.Equal([0], slots.Release(b));
        Assert.False(slots.TryGetSlot("bob", out _));
        Assert.Empty(slots.Release(a)); // the old host holds nothing any more
        Assert.Equal(0, slots.Assign("dave", d, previousIndex: 5));
        Assert.Equal([0, 1, 2], slots.Held.Select(h => h.Slot));
    }
}
