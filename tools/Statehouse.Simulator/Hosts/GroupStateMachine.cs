using System.Buffers.Binary;
using System.Text;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

/// <summary>
/// One group's replicated state: the registers of the register workload and the accounts of the bank workload.
/// Deterministic; serialized into snapshots (<see cref="Serialize"/>), which are never empty (the accounts are there).
/// </summary>
internal sealed class GroupStateMachine
{
    private const byte FormatVersion = 1;
    private readonly SortedDictionary<string, string> _registers = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _balances = new(StringComparer.Ordinal);

    private GroupStateMachine()
    {
    }

    /// <summary>The state before any entry: every account holds <paramref name="balance"/>.</summary>
    public static GroupStateMachine Initial(int accounts, long balance)
    {
        var machine = new GroupStateMachine();
        for (var i = 0; i < accounts; i++)
        {
            machine._balances[AccountName(i)] = balance;
        }

        return machine;
    }

    /// <summary>The name of account <paramref name="i"/>.</summary>
    public static string AccountName(int i) => $"a{i}";

    /// <summary>Applies a command; returns whether it took effect (compare-and-set swapped, transfer moved money).</summary>
    public bool Apply(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        switch (command.Kind)
        {
            case CommandKind.Write:
                _registers[command.Key] = command.Value!;
                return true;
            case CommandKind.CompareAndSet:
                _registers.TryGetValue(command.Key, out var current);
                if (!string.Equals(current, command.Expected, StringComparison.Ordinal))
                {
                    return false;
                }

                _registers[command.Key] = command.Value!;
                return true;
            case CommandKind.Transfer:
                SimulatorAssert.That(_balances.ContainsKey(command.Key) && _balances.ContainsKey(command.To!), "a transfer between known accounts");
                SimulatorAssert.That(command.Amount > 0, "a transfer moves a positive amount");
                if (_balances[command.Key] < command.Amount)
                {
                    return false;
                }

                // Both sides in one step: a transfer is atomic by construction (one entry, applied whole).
                _balances[command.Key] -= command.Amount;
                _balances[command.To!] += command.Amount;
                return true;
            default:
                throw new SimulatorAssertException($"unknown command kind {command.Kind}");
        }
    }

    /// <summary>A register's value (null = absent).</summary>
    public string? Read(string key) => _registers.GetValueOrDefault(key);

    /// <summary>A copy of every balance.</summary>
    public IReadOnlyDictionary<string, long> Balances() => new SortedDictionary<string, long>(_balances, StringComparer.Ordinal);

    /// <summary>Binary form: version, register count, (key, value)…, account count, (name, balance)….</summary>
    public byte[] Serialize()
    {
        var size = 1 + 4 + 4;
        foreach (var (key, value) in _registers)
        {
            size += 8 + Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        foreach (var (name, _) in _balances)
        {
            size += 4 + Encoding.UTF8.GetByteCount(name) + 8;
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = FormatVersion;
        var at = 1;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], _registers.Count);
        at += 4;
        foreach (var (key, value) in _registers)
        {
            at += WriteString(span[at..], key);
            at += WriteString(span[at..], value);
        }

        BinaryPrimitives.WriteInt32LittleEndian(span[at..], _balances.Count);
        at += 4;
        foreach (var (name, balance) in _balances)
        {
            at += WriteString(span[at..], name);
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], balance);
            at += 8;
        }

        SimulatorAssert.That(at == size, "the serialized size is what was computed");
        SimulatorAssert.That(size > 0, "snapshot data is never empty");
        return bytes;
    }

    /// <summary>Reads <see cref="Serialize"/>'s form.</summary>
    public static GroupStateMachine Deserialize(ReadOnlySpan<byte> span)
    {
        SimulatorAssert.That(span.Length >= 9 && span[0] == FormatVersion, "snapshot data of the known format");
        var machine = new GroupStateMachine();
        var at = 1;
        var registers = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        at += 4;
        for (var i = 0; i < registers; i++)
        {
            var key = ReadString(span, ref at);
            machine._registers[key] = ReadString(span, ref at);
        }

        var accounts = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        at += 4;
        for (var i = 0; i < accounts; i++)
        {
            var name = ReadString(span, ref at);
            machine._balances[name] = BinaryPrimitives.ReadInt64LittleEndian(span[at..]);
            at += 8;
        }

        SimulatorAssert.That(at == span.Length, "snapshot data has nothing after the state");
        return machine;
    }

    private static int WriteString(Span<byte> span, string s)
    {
        var length = Encoding.UTF8.GetBytes(s, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        return 4 + length;
    }

    private static string ReadString(ReadOnlySpan<byte> span, ref int at)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        SimulatorAssert.That(length >= 0 && at + 4 + length <= span.Length, "a string inside the snapshot data");
        var s = Encoding.UTF8.GetString(span.Slice(at + 4, length));
        at += 4 + length;
        return s;
    }
}
