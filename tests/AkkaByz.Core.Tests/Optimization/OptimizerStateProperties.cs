using AkkaByz.Core.Optimization;
using FsCheck.Xunit;

namespace AkkaByz.Core.Tests.Optimization;

public class OptimizerStateProperties
{
    [Property(MaxTest = 200)]
    public bool Any_state_round_trips_through_bytes(long steps, long round, float[] a, float[] b, byte which)
    {
        a ??= [];
        b ??= [];
        OptimizerState state = (which % 5) switch
        {
            0 => new SgdWorkerState(steps, round),
            1 => new MomentumWorkerState(steps, round, a),
            2 => new Mu2SgdWorkerState(steps, round, a, b),
            3 => new SgdServerState(steps, a),
            _ => new Mu2SgdServerState(steps, a, b),
        };
        var back = OptimizerState.FromBytes(state.ToBytes());
        return back.Equals(state) && back.GetHashCode() == state.GetHashCode() && back.Kind == state.Kind;
    }
}
