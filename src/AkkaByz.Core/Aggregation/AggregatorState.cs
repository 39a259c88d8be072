using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace AkkaByz.Core.Aggregation;

/// <summary>
/// What a rule carries from one call to the next (centered clipping's previous output, the call counter of the rules
/// that draw seeded random coordinates), as one slot per stateful rule of the spec tree in pre-order. One object can
/// be shared by every instance built from the same spec, whatever their (m, f) (<see cref="IAggregator.UseState"/>),
/// so the state does not split when the number of answering workers changes; it is saved to and loaded from bytes for
/// checkpoints (<see cref="Save"/>, <see cref="Load"/>). Not thread-safe: the instances sharing it must not run at
/// the same time (the runtime runs one aggregation at a time).
/// </summary>
public sealed class AggregatorState
{
    private const uint Magic = 0x54534741; // "AGST"
    private const byte Version = 1;
    private readonly List<Slot> _slots = [];

    /// <param name="spec">The canonical spec of the rule tree the state belongs to (checked on <see cref="Load"/>).</param>
    public AggregatorState(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
    }

    /// <summary>The canonical spec this state belongs to, without f (a spec's instances for any m and f share it).</summary>
    public string Spec { get; }

    /// <summary>One stateful rule's state: a counter and a vector (empty until the rule first stores one).</summary>
    public sealed class Slot
    {
        /// <summary>Calls made so far (the seed stream's position for randomised rules).</summary>
        public long Counter { get; set; }

        /// <summary>The carried vector (centered clipping: the previous output); empty when there is none.</summary>
        public float[] Vector { get; set; } = [];

        internal void Clear()
        {
            Counter = 0;
            Vector = [];
        }
    }

    /// <summary>Number of stateful rules in the tree that have used this state so far.</summary>
    public int SlotCount => _slots.Count;

    /// <summary>Whether every slot is at its initial value (nothing to carry).</summary>
    public bool IsEmpty => _slots.All(s => s.Counter == 0 && s.Vector.Length == 0);

    /// <summary>The slot of the <paramref name="index"/>-th stateful rule in pre-order (created on first use).</summary>
    internal Slot this[int index]
    {
        get
        {
            while (_slots.Count <= index) _slots.Add(new Slot());
            return _slots[index];
        }
    }

    /// <summary>Forgets everything: the next call behaves like a first call.</summary>
    public void Reset()
    {
        foreach (var s in _slots) s.Clear();
    }

    /// <summary>Bytes that <see cref="SerializedLength"/> reports and <see cref="Save"/> writes.</summary>
    public int SerializedLength
    {
        get
        {
            long n = 4 + 1 + 4 + System.Text.Encoding.UTF8.GetByteCount(Spec) + 4;
            foreach (var s in _slots) n += 8 + 4 + 4L * s.Vector.Length;
            return checked((int)n);
        }
    }

    /// <summary>
    /// The state as bytes (little-endian): magic <c>AGST</c>, version 1, the spec (int32 byte count + UTF-8), the
    /// slot count, then per slot an int64 counter and a float32 vector (int32 length + raw floats).
    /// </summary>
    public byte[] Save()
    {
        var bytes = new byte[SerializedLength];
        var span = bytes.AsSpan();
        int p = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(span[p..], Magic); p += 4;
        span[p++] = Version;
        var spec = System.Text.Encoding.UTF8.GetBytes(Spec);
        BinaryPrimitives.WriteInt32LittleEndian(span[p..], spec.Length); p += 4;
        spec.CopyTo(span[p..]); p += spec.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[p..], _slots.Count); p += 4;
        foreach (var s in _slots)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[p..], s.Counter); p += 8;
            BinaryPrimitives.WriteInt32LittleEndian(span[p..], s.Vector.Length); p += 4;
            var raw = MemoryMarshal.AsBytes(s.Vector.AsSpan());
            if (BitConverter.IsLittleEndian) raw.CopyTo(span[p..]);
            else for (int i = 0; i < s.Vector.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(p + 4 * i)..], s.Vector[i]);
            p += raw.Length;
        }
        return bytes;
    }

    /// <summary>Replaces this state with one written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a state, another version, another spec's state, or malformed.</exception>
    public void Load(ReadOnlySpan<byte> bytes)
    {
        try
        {
            int p = 0;
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[p..]) != Magic) throw new InvalidDataException("not an aggregator state (bad magic; expected 'AGST').");
            p += 4;
            byte version = bytes[p++];
            if (version != Version) throw new InvalidDataException($"unsupported aggregator state version {version} (expected {Version}).");
            int specLen = BinaryPrimitives.ReadInt32LittleEndian(bytes[p..]); p += 4;
            if (specLen < 0 || specLen > bytes.Length - p) throw new InvalidDataException("malformed aggregator state: bad spec length.");
            var spec = System.Text.Encoding.UTF8.GetString(bytes.Slice(p, specLen)); p += specLen;
            if (spec != Spec)
                throw new InvalidDataException($"the aggregator state is of rule '{spec}', not of '{Spec}'.");
            int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[p..]); p += 4;
            if (count < 0 || count > 1024) throw new InvalidDataException($"malformed aggregator state: {count} slots.");
            var slots = new List<Slot>(count);
            for (int i = 0; i < count; i++)
            {
                long counter = BinaryPrimitives.ReadInt64LittleEndian(bytes[p..]); p += 8;
                int n = BinaryPrimitives.ReadInt32LittleEndian(bytes[p..]); p += 4;
                if (n < 0 || (long)n * 4 > bytes.Length - p) throw new InvalidDataException($"malformed aggregator state: slot {i} has length {n}.");
                var v = new float[n];
                for (int j = 0; j < n; j++) v[j] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(p + 4 * j)..]);
                p += 4 * n;
                slots.Add(new Slot { Counter = counter, Vector = v });
            }
            if (p != bytes.Length) throw new InvalidDataException($"malformed aggregator state: {bytes.Length - p} unread bytes.");
            // Keep the slot objects (instances hold references to them): copy the values in.
            for (int i = 0; i < slots.Count; i++)
            {
                this[i].Counter = slots[i].Counter;
                this[i].Vector = slots[i].Vector;
            }
            for (int i = slots.Count; i < _slots.Count; i++) _slots[i].Clear();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException("truncated aggregator state.", e);
        }
    }
}
