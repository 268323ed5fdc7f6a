namespace Statehouse.AspNetCore;

/// <summary>How a user's Statehouse session token travels between the user and the app instances.</summary>
public sealed class SessionTokenOptions
{
    /// <summary>Cookie holding the token for browsers (default <c>statehouse-session</c>; null = no cookie).</summary>
    public string? CookieName { get; set; } = "statehouse-session";

    /// <summary>Request and response header holding the token for API clients (default <c>Statehouse-Session</c>).</summary>
    public string HeaderName { get; set; } = "Statehouse-Session";

    /// <summary>How long the cookie lives (default 1 day); the token is only a revision number, nothing secret.</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromDays(1);
}
