using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Serialization;

namespace AkkaByz.Runtime.Transport.Tcp;

/// <summary>
/// <c>akkabyz-transport.mode = tcp</c>: messages travel over one dedicated TCP connection per (sending node,
/// receiving node), next to Akka.Remote's association, in <see cref="VectorFrame"/>s — a 36-byte header, two actor
/// paths, then the raw floats written from and read into the vectors themselves (no serializer buffer, no copy), or
/// a serialized protocol message. Cluster heartbeats never queue behind a vector: they use Akka's connection.
/// <para>
/// Who is on the other end. Every connection starts with a hello frame naming the connecting node's Akka address. In
/// mode = mtls (<c>akkabyz-cluster.security</c>) the connection is mutual TLS pinned to the cluster CA, so its
/// certificate proves the peer's identity (role and name); the claimed address is then confirmed by connecting out to
/// that address's own vector port (found through its Akka endpoint, with a nonce) and seeing the same identity there,
/// and bound to it in <see cref="NodeSecurity"/>. Every later frame must name a sender on that address: actors can
/// then trust a sender ref as that identity (<see cref="NodeSecurity.OriginOf"/>). In mtls mode every protocol
/// message between nodes travels here, not through Akka.Remote.
/// </para>
/// <para>
/// Resources before trust: a connection counts against <c>tcp.max-connections</c> and the per-peer cap
/// (<c>security.max-connections-per-peer</c>; the peer's oldest connection is closed) only once it has authenticated
/// and said hello; until then it is one of at most <c>security.max-pending-handshakes</c>, each cut off after
/// <c>security.handshake-timeout</c>. A header is checked before anything is allocated — a vector must have exactly
/// the run's d floats once the node knows d, other messages at most <c>security.max-control-message-size</c> bytes; a
/// whole frame must arrive within <c>tcp.frame-timeout</c>, and a connection with no frame for
/// <c>security.idle-timeout</c> is closed. Each refusal is counted by reason and peer and closes that connection (a
/// byte stream cannot resynchronise); an honest sender reconnects for its next message.
/// </para>
/// <para>
/// Sending: per destination node a bounded queue and a thread that asks the peer for its port, connects (TLS in mtls
/// mode), says hello and writes frames in order. A failed write drops that message (counted, logged): the round
/// deadline treats it as any lost message.
/// </para>
/// </summary>
public sealed class TcpVectorCarrier : IVectorCarrier
{
    private readonly VectorTransport _transport;
    private readonly VectorTransportSettings _settings;
    private readonly NodeSecurity _security;
    private readonly SecuritySettings _limits;
    private readonly ILoggingAdapter _log;
    private readonly TcpListener _listener;
    private readonly TransportTls? _tls;
    private readonly ExtendedActorSystem _system;
    private readonly string _selfAddress;
    private readonly ConcurrentDictionary<Address, Destination> _destinations = new();
    private readonly ConcurrentDictionary<Socket, Incoming> _incoming = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _acceptor;
    private int _pending;
    private readonly Lazy<IWireCodec> _messages;
    private readonly Lazy<IWireCodec> _clusterMessages;

    internal TcpVectorCarrier(ExtendedActorSystem system, VectorTransport transport)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the tcp vector carrier writes raw little-endian floats; use akkabyz-transport.mode = akka-chunked on this machine.");
        _system = system;
        _transport = transport;
        _messages = new(() => WireCodecs.Get(system, WireSerializerIds.Protocol));
        _clusterMessages = new(() => WireCodecs.Get(system, WireSerializerIds.Cluster));
        _settings = transport.Settings;
        _security = NodeSecurity.Get(system);
        _limits = _security.Settings;
        _log = transport.Log;
        _tls = _security.Trust is { } trust ? new TransportTls(trust) : null;
        _selfAddress = system.Provider.DefaultAddress.ToString();
        var bind = BindAddress(_settings.TcpBindHostname.Length > 0 ? _settings.TcpBindHostname : system.Provider.DefaultAddress.Host ?? "127.0.0.1");
        _listener = new TcpListener(bind, _settings.TcpPort);
        try
        {
            _listener.Start(backlog: 64);
        }
        catch (SocketException e)
        {
            throw new Configuration.SettingsException(
                $"akkabyz-transport.tcp.port: cannot listen on {bind}:{_settings.TcpPort} for vectors ({e.Message}); choose a free port or 0 for any.", e);
        }
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        system.SystemActorOf(VectorEndpointActor.Props(Port, Name), VectorEndpointActor.Name);
        _acceptor = new Thread(AcceptLoop) { IsBackground = true, Name = "akkabyz-vectors-accept" };
        _acceptor.Start();
        _log.Info("Vector transport: tcp, listening on {0}:{1}{2}.", bind, Port, _tls is null ? "" : " (mutual TLS, cluster CA)");
    }

    public string Name => VectorTransportSettings.ModeName(VectorTransportMode.Tcp);

    /// <summary>The port vectors are received on.</summary>
    public int Port { get; }

    /// <summary>The run's d once this node knows it: incoming vector frames must then hold exactly this many floats.</summary>
    internal int? ExpectedFloats { get; set; }

    public void Send(IActorRef target, VectorPayload payload, IActorRef sender) =>
        Enqueue(target, new Outgoing(_transport.PathOf(target), _transport.PathOf(sender), payload, null), payload.Kind.ToString(), payload.Round);

    /// <summary>Queues any other protocol message for <paramref name="target"/> (serialized here, on the caller's thread).</summary>
    internal void SendMessage(IActorRef target, object message, IActorRef sender)
    {
        if (KindOf(message) is not { } kind)
            throw new ArgumentException($"{message.GetType().Name} is not a protocol message the vector carrier can move.", nameof(message));
        var codec = (IWireCodec)_system.Serialization.FindSerializerFor(message);
        var (manifest, body) = (codec.Manifest(message), codec.Encode(message));
        var frame = VectorFrame.EncodeMessage(kind, _transport.PathOf(target), _transport.PathOf(sender), manifest, body);
        Enqueue(target, new Outgoing("", "", default, frame), message.GetType().Name, 0);
    }

    /// <summary>
    /// The frame kind <paramref name="message"/> travels in, from the serializer Akka binds it to: a training-protocol
    /// or a cluster message (<see cref="WireSerializerIds"/>); null for anything else (the transport's own messages
    /// use Akka.Remote).
    /// </summary>
    internal FrameKind? KindOf(object message) => _system.Serialization.FindSerializerFor(message) switch
    {
        AkkaByzSerializer => FrameKind.Message,
        IWireCodec and Akka.Serialization.Serializer { Identifier: WireSerializerIds.Cluster } => FrameKind.ClusterMessage,
        _ => null,
    };

    private void Enqueue(IActorRef target, Outgoing item, string what, long round)
    {
        var address = target.Path.Address;
        var destination = _destinations.GetOrAdd(address, a => new Destination(this, a));
        if (destination.TryEnqueue(item)) return;
        _transport.Stats.SendFailed();
        var dropped = Interlocked.Increment(ref destination.Dropped);
        if (dropped == 1 || dropped % 1000 == 0) // a stuck peer must not flood the log
            _log.Warning("Vector transport: {0} messages already queued for {1}; dropped a {2} of round {3} ({4} dropped for this node so far).",
                _settings.QueueSize, address, what, round, dropped);
    }

    // ------------------------------------------------------------------ receiving

    private sealed class Incoming
    {
        public string Peer { get; init; } = "";
        public long Since { get; } = Stopwatch.GetTimestamp();
    }

    private void AcceptLoop()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = _listener.AcceptSocket();
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                _log.Warning("Vector transport: accept failed: {0}.", e.Message);
                continue;
            }
            var endpoint = socket.RemoteEndPoint?.ToString() ?? "?";
            if (Interlocked.Increment(ref _pending) > _limits.MaxPendingHandshakes)
            {
                // Unauthenticated connections have their own small cap and deadline: they can never crowd out peers that proved who they are.
                Interlocked.Decrement(ref _pending);
                _transport.Refuse("too-many-pending", endpoint, $"{_limits.MaxPendingHandshakes} connections are still authenticating (akkabyz-cluster.security.max-pending-handshakes); closed this one");
                socket.Dispose();
                continue;
            }
            new Thread(() => ReadLoop(socket, endpoint)) { IsBackground = true, Name = "akkabyz-vectors-in" }.Start();
        }
    }

    private void ReadLoop(Socket socket, string endpoint)
    {
        var peer = endpoint;
        Stream? stream = null;
        var pending = true;
        try
        {
            socket.NoDelay = true;
            socket.ReceiveBufferSize = _settings.SocketBufferSize;
            var handshakeMs = Milliseconds(_limits.HandshakeTimeout);
            socket.ReceiveTimeout = handshakeMs;
            socket.SendTimeout = handshakeMs;
            stream = new NetworkStream(socket, ownsSocket: true);
            NodeIdentity? identity = null;
            if (_tls is not null)
            {
                (stream, identity) = _tls.Server(stream, _limits.HandshakeTimeout);
                peer = $"{identity} ({endpoint})";
            }
            var header = new byte[VectorFrame.HeaderSize];
            var deadline = Deadline(_limits.HandshakeTimeout);
            byte[] text;
            try
            {
                if (!ReadFully(stream, socket, header, deadline, betweenFrames: true)) return;
                var hello = VectorFrame.ParseHeader(header, Limits);
                if (hello.Kind != FrameKind.Hello) throw new VectorFrameException("no-hello", $"the first frame is a {hello.Kind}, not a hello");
                text = new byte[hello.Body];
                ReadFully(stream, socket, text, deadline, betweenFrames: false);
            }
            catch (FrameTimeoutException)
            {
                throw new FrameTimeoutException("handshake-timeout", $"no hello within {_limits.HandshakeTimeout.TotalSeconds:0.#} s of connecting (akkabyz-cluster.security.handshake-timeout); closed");
            }
            var claimedText = VectorFrame.DecodePath(text);
            if (!ActorPath.TryParseAddress(claimedText, out var claimed) || claimed.Host is null)
                throw new VectorFrameException("bad-hello", $"the hello names '{claimedText}', not an Akka address");
            if (identity is not null) VerifyClaim(claimed, identity);
            peer = identity is null ? $"{claimed} ({endpoint})" : $"{identity} at {claimed}";

            // Authenticated: from now on the connection counts against the caps, not before.
            var key = identity?.ToString() ?? claimed.ToString();
            Admit(socket, key, peer);
            Interlocked.Decrement(ref _pending);
            pending = false;

            socket.SendTimeout = Milliseconds(_settings.FrameTimeout);
            while (!_stopping.IsCancellationRequested)
            {
                // Between frames a connection may idle as long as a round takes, up to idle-timeout.
                if (!ReadFully(stream, socket, header, Deadline(_limits.IdleTimeout), betweenFrames: true)) return;
                var frameDeadline = Deadline(_settings.FrameTimeout);
                var h = VectorFrame.ParseHeader(header, Limits);
                if (h.Kind == FrameKind.Hello) throw new VectorFrameException("bad-hello", "a second hello on one connection");
                var paths = new byte[h.TargetLength + h.SenderLength + h.ManifestLength];
                ReadFully(stream, socket, paths, frameDeadline, betweenFrames: false);
                var target = VectorFrame.DecodePath(paths.AsSpan(0, h.TargetLength));
                var sender = VectorFrame.DecodePath(paths.AsSpan(h.TargetLength, h.SenderLength));
                CheckSender(sender, claimed);
                if (h.IsVector)
                {
                    // Updates are read into recycled arrays (the aggregator returns them after each round); Params are kept
                    // by the worker's optimizer, so they get their own.
                    var vector = h.VectorKind == VectorKind.Update ? _transport.Buffers.Rent(h.Floats) : GC.AllocateUninitializedArray<float>(h.Floats);
                    ReadFully(stream, socket, MemoryMarshal.AsBytes(vector.AsSpan()), frameDeadline, betweenFrames: false);
                    _transport.Deliver(target, sender, new VectorPayload(h.VectorKind, h.Round, h.Loss, vector), peer);
                }
                else
                {
                    var manifest = VectorFrame.DecodePath(paths.AsSpan(h.TargetLength + h.SenderLength));
                    var body = new byte[h.Body];
                    ReadFully(stream, socket, body, frameDeadline, betweenFrames: false);
                    object message;
                    try
                    {
                        message = h.Kind == FrameKind.Message
                            ? _messages.Value.Decode(body, manifest)
                            : _clusterMessages.Value.Decode(body, manifest);
                    }
                    catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or ArgumentException or InvalidCastException)
                    {
                        throw new VectorFrameException("malformed", $"a {h.Kind} with manifest '{manifest}' does not decode: {e.Message}");
                    }
                    if (!IsAllowedOnTheWire(message)) throw new VectorFrameException("not-allowed", $"{message.GetType().Name} never travels between nodes");
                    _transport.DeliverMessage(target, sender, message, peer);
                }
            }
        }
        catch (VectorFrameException e)
        {
            if (!_stopping.IsCancellationRequested) _transport.Refuse(e.Reason, peer, $"{e.Message}; connection closed");
        }
        catch (TlsRefusedException e)
        {
            if (!_stopping.IsCancellationRequested) _transport.Refuse(e.Reason, peer, $"TLS handshake refused: {e.Message}");
        }
        catch (FrameTimeoutException e)
        {
            if (!_stopping.IsCancellationRequested) _transport.Refuse(e.Reason, peer, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException or OperationCanceledException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                if (e is EndOfStreamException) _transport.Refuse("truncated", peer, "the connection closed inside a frame");
                else _log.Debug("Vector transport: connection from {0} ended: {1}.", peer, e.Message);
            }
        }
        finally
        {
            if (pending) Interlocked.Decrement(ref _pending);
            stream?.Dispose();
            socket.Dispose();
            _incoming.TryRemove(socket, out _);
        }
    }

    private FrameLimits Limits => new(_settings.MaximumMessageSize, ExpectedFloats, _limits.MaxControlMessageBytes);

    /// <summary>Only the protocol messages that nodes exchange; local-only ones (run results, evaluations, watches) never come from a peer.</summary>
    private static bool IsAllowedOnTheWire(object message) => message is not (Protocol.WatchRun or Protocol.RunCompleted or Protocol.EvaluateRequest or Protocol.EvaluationResult);

    /// <summary>Counts an authenticated connection against the total cap and the per-peer cap (closing the peer's oldest one).</summary>
    private void Admit(Socket socket, string key, string peer)
    {
        lock (_incoming) AdmitLocked(socket, key, peer);
    }

    private void AdmitLocked(Socket socket, string key, string peer)
    {
        var mine = _incoming.Where(kv => kv.Value.Peer == key).OrderBy(kv => kv.Value.Since).ToList();
        while (mine.Count >= _limits.MaxConnectionsPerPeer)
        {
            _transport.Refuse("peer-connection-cap", peer, $"more than {_limits.MaxConnectionsPerPeer} connections from one peer (akkabyz-cluster.security.max-connections-per-peer); closed its oldest");
            try { mine[0].Key.Dispose(); } catch (ObjectDisposedException) { }
            _incoming.TryRemove(mine[0].Key, out _);
            mine.RemoveAt(0);
        }
        if (_incoming.Count >= _settings.MaxConnections)
            throw new VectorFrameException("too-many-connections", $"{_settings.MaxConnections} vector connections are open (akkabyz-transport.tcp.max-connections)");
        _incoming[socket] = new Incoming { Peer = key };
    }

    /// <summary>A frame's sender must be an actor of the node that said hello on this connection.</summary>
    private void CheckSender(string sender, Address claimed)
    {
        if (sender.Length == 0)
        {
            if (_tls is not null) throw new VectorFrameException("no-sender", "a frame without a sender (every message between nodes names its sender in mode = mtls)");
            return;
        }
        if (!ActorPath.TryParse(sender, out var path)) throw new VectorFrameException("bad-path", $"sender '{sender}' is not an actor path");
        if (!path.Address.Equals(claimed))
            throw new VectorFrameException("forged-sender", $"the frame names the sender {sender}, which is not an actor of the connecting node {claimed}");
    }

    /// <summary>
    /// mtls: the certificate proved <paramref name="identity"/>; the hello claims <paramref name="claimed"/>. Confirm it by
    /// connecting out to the vector port that address's own Akka endpoint names: the certificate there must be the same.
    /// </summary>
    private void VerifyClaim(Address claimed, NodeIdentity identity)
    {
        if (claimed.ToString() == _selfAddress) throw new VectorFrameException("address-claimed", $"the hello claims this node's own address {claimed}");
        var bound = _security.BoundIdentity(claimed);
        if (bound is null)
        {
            NodeIdentity there;
            try
            {
                there = _destinations.GetOrAdd(claimed, a => new Destination(this, a)).EnsureConnected();
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
            {
                throw new VectorFrameException("unverified-address", $"the hello claims {claimed}, which could not be confirmed: {e.Message}");
            }
            bound = there;
        }
        if (bound != identity)
            throw new VectorFrameException("address-claimed", $"{identity} claims the address {claimed}, which belongs to {bound}");
    }

    /// <summary>A whole-frame (or idle) deadline was missed; the reason says which.</summary>
    private sealed class FrameTimeoutException(string reason, string message) : IOException(message)
    {
        public string Reason { get; } = reason;
    }

    private static long Deadline(TimeSpan within) => Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * Stopwatch.Frequency);

    private static int Milliseconds(TimeSpan t) => (int)Math.Clamp(t.TotalMilliseconds, 1, int.MaxValue);

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>.Length bytes before <paramref name="deadline"/> (one deadline for the whole
    /// frame, not per read: a peer trickling a byte at a time is cut off at the deadline). With
    /// <paramref name="betweenFrames"/>, a clean close before the first byte returns false and a silent peer is "idle".
    /// </summary>
    private bool ReadFully(Stream stream, Socket socket, Span<byte> buffer, long deadline, bool betweenFrames)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0) throw Timeout(betweenFrames && got == 0);
            socket.ReceiveTimeout = (int)Math.Clamp(left * 1000 / Stopwatch.Frequency, 1, int.MaxValue);
            int n;
            try
            {
                n = stream.Read(buffer[got..]);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                throw Timeout(betweenFrames && got == 0);
            }
            if (n == 0)
            {
                if (got == 0 && betweenFrames) return false;
                throw new EndOfStreamException();
            }
            got += n;
        }
        return true;
    }

    private FrameTimeoutException Timeout(bool idle) => idle
        ? new FrameTimeoutException("idle", $"no frame for {_limits.IdleTimeout.TotalSeconds:0.#} s (akkabyz-cluster.security.idle-timeout, or handshake-timeout before the hello); closed")
        : new FrameTimeoutException("stalled", $"a frame did not arrive whole within {_settings.FrameTimeout.TotalSeconds:0.#} s (akkabyz-transport.tcp.frame-timeout); closed");

    private static IPAddress BindAddress(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.Any;
        }
        catch (SocketException)
        {
            return IPAddress.Any;
        }
    }

    // ------------------------------------------------------------------ sending

    /// <summary>A vector (<see cref="Payload"/> with both paths) or a whole pre-encoded message frame.</summary>
    private readonly record struct Outgoing(string TargetPath, string SenderPath, VectorPayload Payload, byte[]? Frame);

    /// <summary>One peer node: a bounded queue and the thread that connects and writes to it, in order.</summary>
    private sealed class Destination
    {
        private readonly TcpVectorCarrier _carrier;
        private readonly Address _address;
        private readonly BlockingCollection<Outgoing> _queue;
        private readonly object _connecting = new();
        private volatile Stream? _stream;
        private NodeIdentity? _peer;

        /// <summary>Messages refused because the queue was full.</summary>
        public long Dropped;

        public Destination(TcpVectorCarrier carrier, Address address)
        {
            _carrier = carrier;
            _address = address;
            _queue = new BlockingCollection<Outgoing>(carrier._settings.QueueSize);
            new Thread(Run) { IsBackground = true, Name = $"akkabyz-vectors-out {address.Host}:{address.Port}" }.Start();
        }

        public bool TryEnqueue(Outgoing item) => !_queue.IsAddingCompleted && _queue.TryAdd(item);

        public void Close()
        {
            _queue.CompleteAdding();
            _stream?.Dispose();
        }

        /// <summary>Connects if not connected; returns the identity the peer's certificate proved (mtls), or throws.</summary>
        public NodeIdentity EnsureConnected()
        {
            lock (_connecting)
            {
                _stream ??= Connect();
                return _peer ?? throw new InvalidOperationException($"{_address} proved no identity (mode is not mtls)");
            }
        }

        private Stream Current()
        {
            var stream = _stream;
            if (stream is not null) return stream;
            lock (_connecting) return _stream ??= Connect();
        }

        private void Run()
        {
            try
            {
                foreach (var item in _queue.GetConsumingEnumerable(_carrier._stopping.Token))
                {
                    try
                    {
                        var stream = Current();
                        if (item.Frame is { } frame)
                        {
                            stream.Write(frame);
                        }
                        else
                        {
                            stream.Write(VectorFrame.EncodePrefix(item.Payload, item.TargetPath, item.SenderPath));
                            stream.Write(MemoryMarshal.AsBytes(item.Payload.Vector.AsSpan()));
                        }
                    }
                    catch (Exception e) when (!_carrier._stopping.IsCancellationRequested)
                    {
                        _carrier._transport.Stats.SendFailed();
                        _carrier._log.Warning("Vector transport: could not send a {0} to {1}: {2}. Dropped; the next message reconnects.",
                            item.Frame is null ? $"{item.Payload.Kind} of round {item.Payload.Round}" : "message", _address, e.Message);
                        lock (_connecting)
                        {
                            _stream?.Dispose();
                            _stream = null;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _stream?.Dispose();
            }
        }

        private Stream Connect()
        {
            var carrier = _carrier;
            var settings = carrier._settings;
            var host = _address.Host ?? throw new InvalidOperationException($"address {_address} has no host");
            var selection = carrier._transport.System.ActorSelection(new RootActorPath(_address) / "system" / VectorEndpointActor.Name);
            var nonce = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
            VectorEndpoint endpoint;
            try
            {
                endpoint = selection.Ask<VectorEndpoint>(new VectorEndpointQuery(nonce), settings.ConnectTimeout, carrier._stopping.Token).GetAwaiter().GetResult();
            }
            catch (AskTimeoutException)
            {
                throw new IOException($"no answer from {_address}/system/{VectorEndpointActor.Name} within {settings.ConnectTimeout.TotalSeconds:0.#} s " +
                                      "(is that node up, and an AkkaByz node with akkabyz-transport configured?)");
            }
            if (endpoint.Nonce != nonce) throw new IOException($"the endpoint answer for {_address} did not echo this node's nonce (not from that node)");
            if (endpoint.Port == 0)
                throw new IOException($"{_address} runs akkabyz-transport.mode = {endpoint.Mode}; every node must use the same mode (this one: tcp)");
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            {
                NoDelay = true,
                SendBufferSize = settings.SocketBufferSize,
                SendTimeout = Milliseconds(settings.FrameTimeout),
            };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(carrier._stopping.Token);
                timeout.CancelAfter(settings.ConnectTimeout);
                socket.ConnectAsync(host, endpoint.Port, timeout.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                socket.Dispose();
                throw new IOException($"cannot connect to the vector port {host}:{endpoint.Port} ({e.Message}); open it, or set akkabyz-transport.mode = akka-chunked on every node", e);
            }
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            try
            {
                if (carrier._tls is not null)
                {
                    (var ssl, var peer) = carrier._tls.Client(stream, host, settings.ConnectTimeout);
                    stream = ssl;
                    if (!carrier._security.Bind(_address, peer))
                        throw new TlsRefusedException("address-claimed", $"the vector port of {_address} presented {peer}, but that address belongs to {carrier._security.BoundIdentity(_address)}");
                    _peer = peer;
                }
                stream.Write(VectorFrame.EncodeHello(carrier._selfAddress));
            }
            catch (TlsRefusedException e)
            {
                stream.Dispose();
                carrier._transport.Refuse(e.Reason, $"{_address}", $"outgoing TLS handshake refused: {e.Message}");
                throw;
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            return stream;
        }
    }

    public void Dispose()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener.Stop();
        foreach (var d in _destinations.Values) d.Close();
        foreach (var s in _incoming.Keys) s.Dispose();
    }
}
