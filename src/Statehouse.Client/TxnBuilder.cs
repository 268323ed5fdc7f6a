using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>
/// Builds a transaction: <c>client.Txn().If(Compare.ModRevision("k") == 5).Then(Op.Put("k", "v")).Else(Op.Get("k")).CommitAsync()</c>.
/// </summary>
/// <remarks>
/// Every compare is checked and then one branch runs, atomically, at one revision. A builder is not thread-safe;
/// committing it twice sends two transactions with two request ids.
/// </remarks>
public sealed class TxnBuilder
{
    private readonly StateClient? _client;
    private readonly List<Compare> _compares = [];
    private readonly List<Op> _then = [];
    private readonly List<Op> _else = [];

    internal TxnBuilder(StateClient? client, string? keyspace)
    {
        _client = client;
        Keyspace = keyspace;
    }

    /// <summary>The keyspace of compares and operations that do not name one; <see langword="null"/> means the client's default.</summary>
    public string? Keyspace { get; }

    /// <summary>The conditions so far.</summary>
    public IReadOnlyList<Compare> Compares => _compares;

    /// <summary>The operations that run when every condition holds.</summary>
    public IReadOnlyList<Op> ThenOps => _then;

    /// <summary>The operations that run when a condition does not hold.</summary>
    public IReadOnlyList<Op> ElseOps => _else;

    /// <summary>Adds conditions; the transaction succeeds only if all of them hold.</summary>
    public TxnBuilder If(params Compare[] compares) => Add(_compares, compares);

    /// <summary>Adds operations to run when every condition holds.</summary>
    public TxnBuilder Then(params Op[] ops) => Add(_then, ops);

    /// <summary>Adds operations to run when a condition does not hold.</summary>
    public TxnBuilder Else(params Op[] ops) => Add(_else, ops);

    /// <summary>Sends the transaction.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Which branch ran and its results.</returns>
    public ValueTask<TxnResult> CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_client is null)
        {
            throw new InvalidOperationException("This builder is not bound to a client; create it with StateClient.Txn().");
        }

        return _client.TxnAsync(this, cancellationToken);
    }

    /// <summary>The wire form, without a request id.</summary>
    internal Wire.TxnRequest ToProto(string defaultKeyspace)
    {
        var keyspace = Keyspace ?? defaultKeyspace;
        var request = new Wire.TxnRequest();
        foreach (var compare in _compares)
        {
            request.Compares.Add(compare.ToProto(keyspace));
        }

        foreach (var op in _then)
        {
            request.Success.Add(op.ToProto(keyspace));
        }

        foreach (var op in _else)
        {
            request.Failure.Add(op.ToProto(keyspace));
        }

        return request;
    }

    private TxnBuilder Add<T>(List<T> list, T[] items)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            list.Add(item);
        }

        return this;
    }
}
