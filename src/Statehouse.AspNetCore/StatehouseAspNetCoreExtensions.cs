using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Statehouse.AspNetCore;

/// <summary>
/// Wiring for ASP.NET Core. Register the client first (<c>services.AddStatehouse(o =&gt; o.Endpoints = …)</c>), then
/// what the app needs:
/// <code>
/// services.AddStatehouseSession();             // IDistributedCache + ASP.NET Core session state in Statehouse
/// services.AddStatehouseSessionTokens();       // read-your-writes for each user across app instances
/// services.AddStatehouseIdempotency();         // Idempotency-Key on POST/PATCH
/// services.AddStatehouseStateManager();        // typed app state with optimistic concurrency
/// app.UseStatehouseSessionTokens(); app.UseSession(); app.UseStatehouseIdempotency();
/// </code>
/// </summary>
public static class StatehouseAspNetCoreExtensions
{
    /// <summary>Registers <see cref="StatehouseDistributedCache"/> as the app's <see cref="IDistributedCache"/>.</summary>
    public static IServiceCollection AddStatehouseDistributedCache(this IServiceCollection services, Action<StatehouseCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<StatehouseCacheOptions>().Configure(o => configure?.Invoke(o));
        services.RemoveAll<IDistributedCache>();
        services.AddSingleton<IDistributedCache, StatehouseDistributedCache>();
        return services;
    }

    /// <summary>
    /// ASP.NET Core session state kept in Statehouse (the session middleware loads and saves through
    /// <see cref="IDistributedCache"/>); call <c>app.UseSession()</c> as usual.
    /// </summary>
    public static IServiceCollection AddStatehouseSession(this IServiceCollection services, Action<Microsoft.AspNetCore.Builder.SessionOptions>? session = null, Action<StatehouseCacheOptions>? cache = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddStatehouseDistributedCache(o =>
        {
            o.KeyPrefix = "session/";
            cache?.Invoke(o);
        });
        services.AddSession(o =>
        {
            o.Cookie.Name = ".statehouse.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.IsEssential = true;
            session?.Invoke(o);
        });
        return services;
    }

    /// <summary>Options of <see cref="SessionTokenMiddleware"/> and <see cref="SessionTokenHandler"/>.</summary>
    public static IServiceCollection AddStatehouseSessionTokens(this IServiceCollection services, Action<SessionTokenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SessionTokenOptions>().Configure(o => configure?.Invoke(o));
        services.TryAddTransient<SessionTokenHandler>();
        return services;
    }

    /// <summary>Runs each request in its user's causal session (early in the pipeline, before anything reads state).</summary>
    public static IApplicationBuilder UseStatehouseSessionTokens(this IApplicationBuilder app) => app.UseMiddleware<SessionTokenMiddleware>();

    /// <summary>Options of <see cref="IdempotencyMiddleware"/>.</summary>
    public static IServiceCollection AddStatehouseIdempotency(this IServiceCollection services, Action<IdempotencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<IdempotencyOptions>().Configure(o => configure?.Invoke(o));
        return services;
    }

    /// <summary>Guards POST/PATCH requests that carry an Idempotency-Key (after authentication, before the endpoints).</summary>
    public static IApplicationBuilder UseStatehouseIdempotency(this IApplicationBuilder app) => app.UseMiddleware<IdempotencyMiddleware>();

    /// <summary>Registers <see cref="IStateManager"/>.</summary>
    public static IServiceCollection AddStatehouseStateManager(this IServiceCollection services, Action<StateManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<StateManagerOptions>().Configure(o => configure?.Invoke(o));
        services.TryAddSingleton<IStateManager, StateManager>();
        return services;
    }
}
