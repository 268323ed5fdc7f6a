using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>
/// Keeps the ASP.NET Core Data Protection key ring in Statehouse. Session cookies, antiforgery tokens and auth
/// cookies are encrypted with these keys: with a key ring per instance, a cookie written by one instance is garbage to
/// the next, and a user behind a round-robin balancer loses their session on every other request. One shared ring
/// makes any instance able to read any cookie.
/// </summary>
public sealed class StatehouseXmlRepository(StateClient client, string keyPrefix = "dataprotection/", string? keyspace = null) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => GetAllElementsAsync().GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> GetAllElementsAsync()
    {
        var elements = new List<XElement>();
        await foreach (var entry in client.ScanAsync(KeyRange.Prefix(keyPrefix), new RangeOptions { Keyspace = keyspace, Consistency = ReadConsistency.Linearizable }).ConfigureAwait(false))
        {
            elements.Add(XElement.Parse(entry.ValueAsString()));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        client.PutAsync(keyPrefix + name, Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting)), new PutOptions { Keyspace = keyspace })
            .AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>Data Protection wiring.</summary>
public static class StatehouseDataProtectionExtensions
{
    /// <summary>Stores the key ring in Statehouse, shared by every instance of the app (set the same application name on each).</summary>
    public static IDataProtectionBuilder PersistKeysToStatehouse(this IDataProtectionBuilder builder, string keyPrefix = "dataprotection/", string? keyspace = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<StatehouseKeyRing>(sp => new StatehouseKeyRing(new StatehouseXmlRepository(sp.GetRequiredService<StateClient>(), keyPrefix, keyspace)));
        builder.Services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<StatehouseKeyRing>((o, r) => o.XmlRepository = r.Repository);
        return builder;
    }

    /// <summary>The repository built from the container's client, handed to the Data Protection options.</summary>
    public sealed record StatehouseKeyRing(StatehouseXmlRepository Repository);
}

/// <summary>Start-up helper for a key ring shared by every instance.</summary>
public static class StatehouseKeyRingStartup
{
    /// <summary>
    /// Makes sure the shared Data Protection key ring has a usable key before this instance serves: under a Statehouse
    /// lock, the first instance creates it and the others find it. Without this, instances started together on an empty
    /// store each create their own key, and a session cookie written by one is unreadable on another until their key
    /// rings refresh (the browser test caught a user losing their cart that way). Call before <c>app.Run()</c>.
    /// </summary>
    public static async Task EnsureStatehouseKeyRingAsync(this IServiceProvider services, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var keys = services.GetRequiredService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>();
        var locks = new DistributedLockProvider(services.GetRequiredService<StateClient>());
        await using var held = await locks.AcquireAsync("dataprotection-keyring", timeout ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now.AddDays(2)))
        {
            keys.CreateNewKey(now, now.AddDays(90));
        }
    }
}
