using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;

namespace AkkaByz.Runtime.Transport.Tcp;

/// <summary>
/// <c>akkabyz-transport.mode = tcp</c>: vectors travel over one dedicated TCP connection per (sending node,
/// receiving node), next to Akka.Remote's association, in <see cref="VectorFrame"/>s — a 36-byte header, two actor
/// paths, then the raw floats written from and read into the vectors themselves (no serializer buffer, no copy).
/// Cluster heartbeats never queue behind a vector: they use Akka's connection, which carries only small messages.
/// <para>
/// Receiving: a listener on <c>tcp.port</c> (0 = any free port), advertised through the node's
/// <see cref="VectorEndpointActor"/>; one thread per incoming connection reads frames, checks each header before
/// allocating (<see cref="VectorFrame.ParseHeader"/>), and hands the message to <see cref="VectorTransport.Deliver"/>.
/// A malformed frame is counted and closes that connection (a byte stream cannot resynchronise); the sender
/// reconnects for its next vector. Sending: per destination node a bounded queue and a thread that asks the peer for
/// its port, connects (TLS when Akka's link uses it) and writes frames in order. A failed write drops that vector
/// (counted, logged): the round deadline treats it as any lost message.
/// </para>
/// </summary>
public sealed class TcpVectorCarrier : IVectorCarrier
{
    private readonly VectorTransport _transport;
    private readonly VectorTransportSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly TcpListener _listener;
    private readonly TransportTls? _tls;
    private readonly ConcurrentDictionary<Address, Destination> _destinations = new();
    private readonly ConcurrentDictionary<Socket, byte> _incoming = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _acceptor;

    internal TcpVectorCarrier(ExtendedActorSystem system, VectorTransport transport)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the tcp vector carrier writes raw little-endian floats; use akkabyz-transport.mode = akka-chunked on this machine.");
        _transport = transport;
        _settings = transport.Settings;
        _log = transport.Log;
        _tls = TransportTls.From(system.Settings.Config);
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
        _log.Info("Vector transport: tcp, listening on {0}:{1}{2}.", bind, Port, _tls is null ? "" : " (TLS)");
    }

    public string Name => VectorTransportSettings.ModeName(VectorTransportMode.Tcp);

    /// <summary>The port vectors are received on.</summary>
    public int Port { get; }

    public void Send(IActorRef target, VectorPayload payload, IActorRef sender)
    {
        var address = target.Path.Address;
        var destination = _destinations.GetOrAdd(address, a => new Destination(this, a));
        if (!destination.TryEnqueue(new Outgoing(_transport.PathOf(target), _transport.PathOf(sender), payload)))
        {
            _transport.Stats.SendFailed();
            var dropped = Interlocked.Increment(ref destination.Dropped);
            if (dropped == 1 || dropped % 1000 == 0) // a stuck peer must not flood the log
                _log.Warning("Vector transport: {0} vectors already queued for {1}; dropped a {2} of round {3} ({4} dropped for this node so far).",
                    _settings.QueueSize, address, payload.Kind, payload.Round, dropped);
        }
    }

    // ------------------------------------------------------------------ receiving

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
            if (_incoming.Count >= _settings.MaxConnections)
            {
                // One reader thread per connection: cap them, so a flood of connections cannot exhaust the node.
                _transport.Reject("too-many-connections", $"{_settings.MaxConnections} vector connections are open (akkabyz-transport.tcp.max-connections); closed the one from {socket.RemoteEndPoint}");
                socket.Dispose();
                continue;
            }
            _incoming[socket] = 0;
            new Thread(() => ReadLoop(socket)) { IsBackground = true, Name = "akkabyz-vectors-in" }.Start();
        }
    }

    private void ReadLoop(Socket socket)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        Stream? stream = null;
        try
        {
            socket.NoDelay = true;
            socket.ReceiveBufferSize = _settings.SocketBufferSize;
            stream = new NetworkStream(socket, ownsSocket: true);
            if (_tls is not null) stream = _tls.Server(stream, _settings.ConnectTimeout);
            var header = new byte[VectorFrame.HeaderSize];
            var frameTimeout = (int)Math.Min(int.MaxValue, _settings.FrameTimeout.TotalMilliseconds);
            while (!_stopping.IsCancellationRequested)
            {
                if (!ReadHeader(stream, header, socket, frameTimeout)) return; // the peer closed between frames
                VectorFrameHeader h;
                string target, sender;
                try
                {
                    h = VectorFrame.ParseHeader(header, _settings.MaximumMessageSize);
                    var paths = new byte[h.TargetLength + h.SenderLength];
                    stream.ReadExactly(paths);
                    target = VectorFrame.DecodePath(paths.AsSpan(0, h.TargetLength));
                    sender = VectorFrame.DecodePath(paths.AsSpan(h.TargetLength));
                }
                catch (VectorFrameException e)
                {
                    _transport.Reject(e.Reason, $"{e.Message}; closing the connection from {peer}");
                    return;
                }
                // Updates are read into recycled arrays (the aggregator returns them after each round); Params are kept
                // by the worker's optimizer, so they get their own.
                var vector = h.Kind == VectorKind.Update ? _transport.Buffers.Rent(h.Floats) : GC.AllocateUninitializedArray<float>(h.Floats);
                stream.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
                socket.ReceiveTimeout = 0; // between frames a connection may idle as long as a round takes
                _transport.Deliver(target, sender, new VectorPayload(h.Kind, h.Round, h.Loss, vector));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException or OperationCanceledException
                                      or System.Security.Authentication.AuthenticationException)
        {
            if (!_stopping.IsCancellationRequested)
            {
                if (e is EndOfStreamException) _transport.Reject("truncated", $"the connection from {peer} closed inside a frame");
                else if (e is IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock } })
                    _transport.Reject("stalled", $"the connection from {peer} sent nothing for {_settings.FrameTimeout.TotalSeconds:0.#} s inside a frame (akkabyz-transport.tcp.frame-timeout); closed");
                else _log.Warning("Vector transport: connection from {0} ended: {1}.", peer, e.Message);
            }
        }
        finally
        {
            stream?.Dispose();
            socket.Dispose();
            _incoming.TryRemove(socket, out _);
        }
    }

    /// <summary>
    /// Reads a whole header; false on a clean close before its first byte. Once the first byte is in, the rest of the
    /// frame must keep coming: each read may wait at most <paramref name="frameTimeoutMs"/> (a peer that stalls
    /// inside a frame, holding its buffer, is cut off and counted as "stalled").
    /// </summary>
    private static bool ReadHeader(Stream stream, byte[] header, Socket socket, int frameTimeoutMs)
    {
        var got = 0;
        while (got < header.Length)
        {
            var n = stream.Read(header, got, header.Length - got);
            if (got == 0 && n > 0) socket.ReceiveTimeout = frameTimeoutMs;
            if (n == 0)
            {
                if (got == 0) return false;
                throw new EndOfStreamException();
            }
            got += n;
        }
        return true;
    }

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

    private sealed record Outgoing(string TargetPath, string SenderPath, VectorPayload Payload);

    /// <summary>One peer node: a bounded queue and the thread that connects and writes to it, in order.</summary>
    private sealed class Destination
    {
        private readonly TcpVectorCarrier _carrier;
        private readonly Address _address;
        private readonly BlockingCollection<Outgoing> _queue;
        private Stream? _stream;

        /// <summary>Vectors refused because the queue was full.</summary>
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

        private void Run()
        {
            try
            {
                foreach (var item in _queue.GetConsumingEnumerable(_carrier._stopping.Token))
                {
                    try
                    {
                        var stream = _stream ??= Connect();
                        stream.Write(VectorFrame.EncodePrefix(item.Payload, item.TargetPath, item.SenderPath));
                        stream.Write(MemoryMarshal.AsBytes(item.Payload.Vector.AsSpan()));
                    }
                    catch (Exception e) when (!_carrier._stopping.IsCancellationRequested)
                    {
                        _carrier._transport.Stats.SendFailed();
                        _carrier._log.Warning("Vector transport: could not send a {0} of round {1} to {2}: {3}. Dropped; the next vector reconnects.",
                            item.Payload.Kind, item.Payload.Round, _address, e.Message);
                        _stream?.Dispose();
                        _stream = null;
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
            var settings = _carrier._settings;
            var host = _address.Host ?? throw new InvalidOperationException($"address {_address} has no host");
            var selection = _carrier._transport.System.ActorSelection(new RootActorPath(_address) / "system" / VectorEndpointActor.Name);
            VectorEndpoint endpoint;
            try
            {
                endpoint = selection.Ask<VectorEndpoint>(VectorEndpointQuery.Instance, settings.ConnectTimeout, _carrier._stopping.Token).GetAwaiter().GetResult();
            }
            catch (AskTimeoutException)
            {
                throw new IOException($"no answer from {_address}/system/{VectorEndpointActor.Name} within {settings.ConnectTimeout.TotalSeconds:0.#} s " +
                                      "(is that node up, and an AkkaByz node with akkabyz-transport configured?)");
            }
            if (endpoint.Port == 0)
                throw new IOException($"{_address} runs akkabyz-transport.mode = {endpoint.Mode}; every node must use the same mode (this one: tcp)");
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendBufferSize = settings.SocketBufferSize };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_carrier._stopping.Token);
                timeout.CancelAfter(settings.ConnectTimeout);
                socket.ConnectAsync(host, endpoint.Port, timeout.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                socket.Dispose();
                throw new IOException($"cannot connect to the vector port {host}:{endpoint.Port} ({e.Message}); open it, or set akkabyz-transport.mode = akka-chunked on every node", e);
            }
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_carrier._tls is not null) stream = _carrier._tls.Client(stream, host, settings.ConnectTimeout);
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
        _tls?.Dispose();
    }
}
