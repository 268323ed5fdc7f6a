using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>
/// Makes POSTs (and PATCHes) with an <c>Idempotency-Key</c> header safe to retry, across app instances: the first
/// request claims the key in Statehouse (create-if-absent with a TTL), runs, and stores its response for
/// <see cref="IdempotencyOptions.Retention"/>; a retry gets the stored response back (with
/// <c>Idempotency-Replayed: true</c>); a concurrent duplicate waits for the first to finish, else gets 409; the key is
/// bound to the request (method, path, query and a SHA-256 of the body), so reusing it for a different request is 422.
/// A request that throws or answers 5xx releases the key, so a retry runs it again.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, StateClient client, IOptions<IdempotencyOptions> options, ILogger<IdempotencyMiddleware> logger)
{
    private static readonly string[] ReplayedHeaders = ["Content-Type", "Location", "ETag", "Content-Language"];
    private readonly IdempotencyOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_options.Methods.Contains(context.Request.Method) || !context.Request.Headers.TryGetValue(_options.HeaderName, out var values))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var key = values.ToString();
        if (key.Length == 0 || key.Length > _options.MaxKeyLength || key.Any(c => c is < (char)0x21 or > (char)0x7E))
        {
            await Problem(context, StatusCodes.Status400BadRequest, "Invalid idempotency key", $"{_options.HeaderName} must be 1 to {_options.MaxKeyLength} printable ASCII characters without spaces.").ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await Problem(context, StatusCodes.Status413PayloadTooLarge, "Request too large for an idempotent request", $"Bodies of requests with {_options.HeaderName} are limited to {_options.MaxRequestBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }

        var fingerprint = Fingerprint(context.Request, body);
        var recordKey = $"{_options.KeyPrefix}{_options.Scope(context)}/{key}";
        var claim = new IdempotencyRecord { State = "pending", Fingerprint = fingerprint };
        long claimRevision;
        try
        {
            claimRevision = (await client.PutAsync(recordKey, JsonSerializer.SerializeToUtf8Bytes(claim), new PutOptions
            {
                Keyspace = _options.Keyspace,
                Precondition = Precondition.IfAbsent,
                Ttl = _options.ClaimTtl,
            }, context.RequestAborted).ConfigureAwait(false)).Revision;
        }
        catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed)
        {
            await AnswerDuplicateAsync(context, recordKey, fingerprint).ConfigureAwait(false);
            return;
        }

        await RunAndStoreAsync(context, recordKey, fingerprint, claimRevision).ConfigureAwait(false);
    }

    private async Task RunAndStoreAsync(HttpContext context, string recordKey, string fingerprint, long claimRevision)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            context.Response.Body = original;
            await ReleaseAsync(recordKey, claimRevision).ConfigureAwait(false);
            throw;
        }

        context.Response.Body = original;
        var status = context.Response.StatusCode;
        if (status >= 500 || buffer.Length > _options.MaxResponseBodyBytes)
        {
            // Not a result worth replaying (a failure, or too large to keep): let a retry run the request again.
            await ReleaseAsync(recordKey, claimRevision).ConfigureAwait(false);
        }
        else
        {
            var done = new IdempotencyRecord
            {
                State = "done",
                Fingerprint = fingerprint,
                Status = status,
                Headers = ReplayedHeaders.Where(h => context.Response.Headers.ContainsKey(h)).ToDictionary(h => h, h => context.Response.Headers[h].ToString()),
                Body = buffer.ToArray(),
            };
            try
            {
                await client.PutAsync(recordKey, JsonSerializer.SerializeToUtf8Bytes(done), new PutOptions
                {
                    Keyspace = _options.Keyspace,
                    Precondition = Precondition.IfModRevision(claimRevision),
                    Ttl = _options.Retention,
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (StatehouseException ex)
            {
                // The response still goes out; a retry may run the request again (its claim expired or was taken).
                logger.LogWarning(ex, "Could not store the response for idempotency key {Key}", recordKey);
            }
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task AnswerDuplicateAsync(HttpContext context, string recordKey, string fingerprint)
    {
        var deadline = DateTime.UtcNow + _options.WaitForConcurrent;
        var delay = TimeSpan.FromMilliseconds(25);
        while (true)
        {
            var current = await client.GetAsync(recordKey, new ReadOptions { Keyspace = _options.Keyspace, Consistency = ReadConsistency.Linearizable }, context.RequestAborted).ConfigureAwait(false);
            if (current.Entry is null)
            {
                // The first request failed and released the key (or its claim expired): run this one.
                await InvokeAsync(context).ConfigureAwait(false);
                return;
            }

            var record = JsonSerializer.Deserialize<IdempotencyRecord>(current.Entry.Value.Span)!;
            if (record.Fingerprint != fingerprint)
            {
                await Problem(context, StatusCodes.Status422UnprocessableEntity, "Idempotency key reused", $"This {_options.HeaderName} was used for a different request (method, path or body).").ConfigureAwait(false);
                return;
            }

            if (record.State == "done")
            {
                context.Response.StatusCode = record.Status;
                foreach (var (name, value) in record.Headers ?? [])
                {
                    context.Response.Headers[name] = value;
                }

                context.Response.Headers["Idempotency-Replayed"] = "true";
                await context.Response.Body.WriteAsync(record.Body ?? [], context.RequestAborted).ConfigureAwait(false);
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                context.Response.Headers.RetryAfter = "1";
                await Problem(context, StatusCodes.Status409Conflict, "Request in progress", $"A request with this {_options.HeaderName} is still running; retry later.").ConfigureAwait(false);
                return;
            }

            await Task.Delay(delay, context.RequestAborted).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    private async Task ReleaseAsync(string recordKey, long claimRevision)
    {
        try
        {
            await client.DeleteAsync(recordKey, new DeleteOptions { Keyspace = _options.Keyspace, Precondition = Precondition.IfModRevision(claimRevision) }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StatehouseException ex)
        {
            // Gone or taken over: either way nothing of ours is left to release; the claim's TTL ends it otherwise.
            logger.LogDebug(ex, "Releasing idempotency key {Key}", recordKey);
        }
    }

    /// <summary>Reads the body into memory (bounded) and rewinds it for the handler; null when over the limit.</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > _options.MaxRequestBodyBytes)
        {
            return null;
        }

        using var memory = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (memory.Length + read > _options.MaxRequestBodyBytes)
            {
                return null;
            }

            memory.Write(chunk, 0, read);
        }

        var bytes = memory.ToArray();
        context.Request.Body = new MemoryStream(bytes, writable: false);
        return bytes;
    }

    private static string Fingerprint(HttpRequest request, byte[] body)
    {
        var head = Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path}\n{request.QueryString}\n");
        return Convert.ToHexString(SHA256.HashData([.. head, .. body]));
    }

    private static Task Problem(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { type = "about:blank", title, status, detail }, (JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted);
    }

    /// <summary>What is stored under a key: the claim while the request runs, then its response.</summary>
    internal sealed class IdempotencyRecord
    {
        public string State { get; set; } = "pending";

        public string Fingerprint { get; set; } = string.Empty;

        public int Status { get; set; }

        public Dictionary<string, string>? Headers { get; set; }

        public byte[]? Body { get; set; }
    }
}
