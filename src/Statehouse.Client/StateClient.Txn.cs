using Wire = Statehouse.V1;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Starts a transaction: <c>client.Txn().If(...).Then(...).Else(...).CommitAsync()</c>.</summary>
    /// <param name="keyspace">The keyspace of compares and operations that do not name one; <see langword="null"/> for the default.</param>
    /// <returns>A builder bound to this client.</returns>
    public TxnBuilder Txn(string? keyspace = null) => new(this, keyspace);

    /// <summary>Sends a transaction built with <see cref="Txn"/>.</summary>
    /// <param name="txn">The transaction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Which branch ran and its results.</returns>
    public async ValueTask<TxnResult> TxnAsync(TxnBuilder txn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(txn);
        var request = txn.ToProto(_options.DefaultKeyspace);
        request.RequestId = NextRequestId();
        var response = await CallAsync(
            "Txn", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).TxnAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    /// <summary>Applies several operations atomically, at one revision: a transaction without compares.</summary>
    /// <param name="ops">The operations, in order.</param>
    /// <param name="keyspace">The keyspace of operations that do not name one; <see langword="null"/> for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The results, in order.</returns>
    public ValueTask<TxnResult> BatchAsync(IEnumerable<Op> ops, string? keyspace = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var array = ops.ToArray();
        if (array.Length == 0)
        {
            throw new ArgumentException("A batch needs at least one operation.", nameof(ops));
        }

        return TxnAsync(new TxnBuilder(this, keyspace).Then(array), cancellationToken);
    }
}
