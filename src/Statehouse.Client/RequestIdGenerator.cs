using System.Globalization;
using System.Security.Cryptography;

namespace Statehouse.Client;

/// <summary>
/// Makes the idempotency keys of mutating calls: <c>{clientId}/{incarnation}:{sequence}</c>.
/// </summary>
/// <remarks>
/// Thread-safe. One id is drawn per logical call, before its retry loop, so every attempt carries the same id and
/// the server applies the call once. The random incarnation keeps ids unique across processes and restarts that
/// share a client id.
/// </remarks>
internal sealed class RequestIdGenerator
{
    private readonly string _prefix;
    private long _sequence;

    internal RequestIdGenerator(string clientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ClientId = clientId;
        var incarnation = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        _prefix = $"{clientId}/{incarnation}:";
    }

    internal string ClientId { get; }

    internal string Next() =>
        _prefix + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
}
