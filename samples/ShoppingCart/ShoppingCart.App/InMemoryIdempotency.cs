using System.Collections.Concurrent;

namespace ShoppingCart.App;

/// <summary>
/// The anti-pattern's idempotency (<c>--state memory</c>): replayed responses kept in this process only, so a retry
/// that lands on another instance (or after a restart) runs the request again — a duplicate order.
/// </summary>
public sealed class InMemoryIdempotency(RequestDelegate next)
{
    private static readonly ConcurrentDictionary<string, (int Status, string ContentType, byte[] Body)> Done = new();

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Headers["Idempotency-Key"].ToString() is not { Length: > 0 } key)
        {
            await next(context);
            return;
        }

        if (Done.TryGetValue(key, out var stored))
        {
            context.Response.StatusCode = stored.Status;
            context.Response.ContentType = stored.ContentType;
            context.Response.Headers["Idempotency-Replayed"] = "true";
            await context.Response.Body.WriteAsync(stored.Body);
            return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        if (context.Response.StatusCode < 500)
        {
            Done[key] = (context.Response.StatusCode, context.Response.ContentType ?? "application/json", buffer.ToArray());
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original);
    }
}
