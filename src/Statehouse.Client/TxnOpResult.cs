namespace Statehouse.Client;

/// <summary>The result of one operation of a transaction; exactly the property that matches <see cref="Kind"/> is set.</summary>
public sealed record TxnOpResult
{
    /// <summary>Which operation this is the result of.</summary>
    public required TxnOpKind Kind { get; init; }

    /// <summary>For a put.</summary>
    public PutResult? Put { get; init; }

    /// <summary>For a delete.</summary>
    public DeleteResult? Delete { get; init; }

    /// <summary>For a point read.</summary>
    public GetResult? Get { get; init; }

    /// <summary>For an increment.</summary>
    public IncrementResult? Increment { get; init; }

    /// <summary>For a range read.</summary>
    public RangePage? Range { get; init; }
}
