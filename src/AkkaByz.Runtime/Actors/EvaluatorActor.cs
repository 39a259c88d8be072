using Akka.Actor;
using Akka.Event;
using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Actors;

/// <summary>
/// Evaluates published points on the test set off the critical path: its own model instance, one evaluation at a
/// time on the thread pool (Task + PipeTo), requests queued in order. Each result goes to the metrics sink and
/// back to the requester.
/// </summary>
public sealed class EvaluatorActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IGradientModel _model;
    private readonly DataSet _test;
    private readonly IActorRef? _metrics;
    private readonly Queue<(EvaluateRequest Request, IActorRef ReplyTo)> _queue = new();
    private Task? _running;

    public EvaluatorActor(IGradientModel model, DataSet test, IActorRef? metrics)
    {
        _model = model;
        _test = test;
        _metrics = metrics;
        Receive<EvaluateRequest>(r =>
        {
            if (r.X.Length != _model.ParameterCount)
            {
                _log.Warning("Evaluation of round {0} skipped: {1} values, the model has {2} parameters.", r.Round, r.X.Length, _model.ParameterCount);
                return;
            }
            _queue.Enqueue((r, Sender));
            if (_running is null) StartNext();
        });
        Receive<Evaluated>(e =>
        {
            _running = null;
            var result = new EvaluationResult(e.Round, e.Evaluation.Loss, e.Evaluation.Accuracy);
            _metrics?.Tell(result);
            if (!e.ReplyTo.IsNobody() && !e.ReplyTo.Equals(_metrics)) e.ReplyTo.Tell(result);
            StartNext();
        });
        Receive<EvaluationFailed>(f =>
        {
            _running = null;
            _log.Error(f.Error, "Evaluation of round {0} failed: {1}", f.Round, f.Error.Message);
            StartNext();
        });
    }

    public static Props Props(IGradientModel model, DataSet test, IActorRef? metrics) =>
        Akka.Actor.Props.Create(() => new EvaluatorActor(model, test, metrics));

    private void StartNext()
    {
        if (!_queue.TryDequeue(out var next)) return;
        var (request, replyTo) = next;
        var model = _model;
        var test = _test;
        var task = ComputeScheduler.Run(() => model.Evaluate(request.X, test));
        _running = task;
        task.PipeTo(Self, success: e => new Evaluated(request.Round, e, replyTo), failure: e => new EvaluationFailed(request.Round, e));
    }

    protected override void PostStop()
    {
        var model = _model;
        if (_running is { IsCompleted: false } running) running.ContinueWith(_ => model.Dispose(), TaskScheduler.Default);
        else model.Dispose();
    }

    private sealed record Evaluated(long Round, Evaluation Evaluation, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

    private sealed record EvaluationFailed(long Round, Exception Error) : INoSerializationVerificationNeeded;
}
