using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Statehouse.Client;

/// <summary>Registers the Statehouse client with dependency injection.</summary>
public static class StatehouseServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="StateClient"/> for the whole application (a singleton, disposed with the container),
    /// configured by <paramref name="configure"/> through <see cref="IOptions{StateClientOptions}"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets endpoints, timeouts, retries and so on.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddStatehouse(this IServiceCollection services, Action<StateClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StateClientOptions>().Configure(configure);
        services.TryAddSingleton(sp => new StateClient(
            sp.GetRequiredService<IOptions<StateClientOptions>>().Value,
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}
