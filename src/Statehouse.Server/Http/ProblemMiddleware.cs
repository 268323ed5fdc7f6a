using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Statehouse.Core;

namespace Statehouse.Server.Http;

/// <summary>Answers every failure of the HTTP API as application/problem+json with a stable <c>code</c>.</summary>
internal sealed class ProblemMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (StatehouseException ex) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // Kestrel's own checks, e.g. a body over the configured limit (413).
            await WriteAsync(context, new StatehouseException(ErrorCode.InvalidArgument, ex.Message), ex.StatusCode).ConfigureAwait(false);
        }
        catch (EndOfStreamException) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await WriteAsync(context, new StatehouseException(ErrorCode.InvalidArgument, "The body is shorter than its Content-Length.")).ConfigureAwait(false);
        }
        catch (JsonException ex) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, new StatehouseException(ErrorCode.InvalidArgument, $"Malformed JSON: {ex.Message}")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (System.Threading.Channels.ChannelClosedException) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, new StatehouseException(ErrorCode.Unavailable, "The node is stopping.")).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            // Anything else is our bug, but the caller still gets problem+json, and the log gets the stack.
            context.RequestServices.GetService<Microsoft.Extensions.Logging.ILogger<ProblemMiddleware>>()?.LogError(ex, "Unhandled error on {Path}", context.Request.Path.Value);
            await WriteAsync(context, new StatehouseException(ErrorCode.Unavailable, "Internal error: " + ex.Message), 500).ConfigureAwait(false);
        }
    }

    public static Task WriteAsync(HttpContext context, StatehouseException ex, int? status = null)
    {
        var code = ex.Code.ToString();
        var problem = new Dictionary<string, object?>
        {
            ["type"] = $"https://statehouse.dev/errors/{code}",
            ["title"] = code,
            ["status"] = status ?? ErrorMapping.ToHttp(ex.Code),
            ["detail"] = ex.Message,
            ["code"] = code,
            ["instance"] = context.Request.Path.Value,
        };
        if (ex.CurrentRevision is { } current)
        {
            problem["currentRevision"] = current;
        }

        if (ex.CompactRevision is { } compact)
        {
            problem["compactRevision"] = compact;
        }

        if (ex.LeaderHint is { } leader)
        {
            problem["leader"] = leader;
        }

        context.Response.StatusCode = status ?? ErrorMapping.ToHttp(ex.Code);
        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(problem, HttpJson.Options));
    }
}
