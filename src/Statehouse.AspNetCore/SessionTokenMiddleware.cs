using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>
/// Carries each user's causal session token (the highest Statehouse revision their requests have seen) between app
/// instances: the token comes in as a cookie or header, the request runs inside <see cref="StateClient.BeginSession"/>,
/// and the raised token goes back out on the response. A user whose next request lands on another instance — one that
/// reads from a follower — still reads their own writes and never goes back in time. Stateless app servers behind a
/// plain round-robin balancer need nothing else.
/// </summary>
public sealed class SessionTokenMiddleware(RequestDelegate next, StateClient client, IOptions<SessionTokenOptions> options)
{
    private readonly SessionTokenOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = Math.Max(Parse(context.Request.Headers[_options.HeaderName].ToString()),
            _options.CookieName is { } cookie ? Parse(context.Request.Cookies[cookie]) : 0);
        using var session = client.BeginSession(incoming);
        context.Features.Set(session);
        context.Response.OnStarting(() =>
        {
            var token = session.Revision.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers[_options.HeaderName] = token;
            if (_options.CookieName is { } name && session.Revision > incoming)
            {
                context.Response.Cookies.Append(name, token, new CookieOptions
                {
                    HttpOnly = true,
                    IsEssential = true,
                    SameSite = SameSiteMode.Lax,
                    Secure = context.Request.IsHttps,
                    MaxAge = _options.CookieLifetime,
                });
            }

            return Task.CompletedTask;
        });
        await next(context).ConfigureAwait(false);
    }

    /// <summary>A token is a non-negative revision; anything else (a tampered or foreign cookie) counts as none.</summary>
    internal static long Parse(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision >= 0 ? revision : 0;
}

/// <summary>
/// Propagates the current session token to services this app calls over HTTP, and raises it from their answers, so a
/// chain of stateless services keeps one user's causality (register with <c>AddHttpMessageHandler</c>).
/// </summary>
public sealed class SessionTokenHandler(StateClient client, IOptions<SessionTokenOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var header = options.Value.HeaderName;
        var token = client.SessionRevision;
        if (token > 0)
        {
            request.Headers.Remove(header);
            request.Headers.TryAddWithoutValidation(header, token.ToString(CultureInfo.InvariantCulture));
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues(header, out var values) && SessionTokenMiddleware.Parse(values.FirstOrDefault()) is > 0 and var seen)
        {
            client.ObserveRevision(seen);
        }

        return response;
    }
}
