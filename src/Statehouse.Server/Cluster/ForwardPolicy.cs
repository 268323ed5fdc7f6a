using Statehouse.Core;
using Statehouse.Core.Model;

namespace Statehouse.Server.Cluster;

/// <summary>
/// What a forwarded write may carry: exactly what a client may propose through the API, never a command only the leader
/// makes for itself (lease expiry, stamped from its own lease clock; issue 11, item 1).
/// </summary>
public static class ForwardPolicy
{
    /// <summary>Throws <see cref="ErrorCode.InvalidArgument"/> when <paramref name="command"/> is not a client command.</summary>
    public static void Check(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        switch (command)
        {
            case PutCommand or DeleteCommand or IncrementCommand or LeaseGrantCommand or LeaseRevokeCommand or CreateKeyspaceCommand:
                return;
            case TxnCommand txn:
                // Transactions hold only key operations (the codec cannot nest anything else), checked anyway.
                foreach (var op in txn.Success.Concat(txn.Failure))
                {
                    if (op is not (PutCommand or DeleteCommand or IncrementCommand or GetOperation or RangeOperation))
                    {
                        throw Refused(op);
                    }
                }

                return;
            case CompactCommand compact when compact.Revision > 0:
                // The API sends compaction at a named revision (> 0); the leader's own retention compaction never travels.
                return;
            default:
                throw Refused(command);
        }
    }

    private static StatehouseException Refused(Command command) =>
        new(ErrorCode.InvalidArgument, $"A forwarded request may not carry a {command.GetType().Name}: only commands a client may propose are forwarded.");
}
