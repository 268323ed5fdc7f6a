using Microsoft.AspNetCore.Http;

namespace Statehouse.AspNetCore;

/// <summary>Limits and behaviour of <see cref="IdempotencyMiddleware"/>.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>The request header (default <c>Idempotency-Key</c>).</summary>
    public string HeaderName { get; set; } = "Idempotency-Key";

    /// <summary>Methods the middleware guards (default POST and PATCH); other methods pass through.</summary>
    public ISet<string> Methods { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { HttpMethods.Post, HttpMethods.Patch };

    /// <summary>Keyspace of the records (default: the client's).</summary>
    public string? Keyspace { get; set; }

    /// <summary>Prefix of the record keys (default <c>idempotency/</c>).</summary>
    public string KeyPrefix { get; set; } = "idempotency/";

    /// <summary>
    /// Scopes keys, e.g. per user (<c>ctx =&gt; ctx.User.Identity?.Name ?? "anonymous"</c>) so two users' keys never
    /// collide. Default: one scope for everyone.
    /// </summary>
    public Func<HttpContext, string> Scope { get; set; } = _ => "global";

    /// <summary>How long a finished request's response is kept and replayed (default 24 h).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a claim on a key lasts while its request runs (default 60 s): if the instance running it dies, a retry
    /// may run the request again after this.
    /// </summary>
    public TimeSpan ClaimTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a concurrent duplicate waits for the first request to finish before it gets 409 (default 10 s).</summary>
    public TimeSpan WaitForConcurrent { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest request body bound into the fingerprint (default 1 MiB); a larger one is refused with 413.</summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest response stored for replay (default 1 MiB); a larger one is sent but not stored (the key is released).</summary>
    public int MaxResponseBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest accepted key (default 255 printable ASCII characters).</summary>
    public int MaxKeyLength { get; set; } = 255;
}
