using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore.Tests;

/// <summary>The parts that plug into ASP.NET Core's own abstractions: the rate limiting middleware, HttpClient handlers.</summary>
public sealed class IntegrationPointsTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task RateLimitingMiddleware_WithStatehouseLimiter_SharesOneLimitAcrossInstances()
    {
        var partition = "api-" + Guid.NewGuid().ToString("N");
        void Services(IServiceCollection services) => services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx => RateLimitPartition.Get(partition, key =>
                new StatehouseRateLimiter(ctx.RequestServices.GetRequiredService<StateClient>(), new StatehouseRateLimiterOptions { Partition = key, PermitLimit = 6, Window = TimeSpan.FromMinutes(5) })));
        });
        void Pipeline(WebApplication app)
        {
            app.UseRateLimiter();
            app.MapGet("/work", () => "done");
        }

        await using var a = await store.StartAppAsync(Services, Pipeline);
        await using var b = await store.StartAppAsync(Services, Pipeline);
        using var http = new HttpClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await http.GetAsync(new Uri(i % 2 == 0 ? a.Address : b.Address, "/work"))).StatusCode);
        }

        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task SessionTokenHandler_SendsTheCurrentToken_AndRaisesItFromTheAnswer()
    {
        var client = store.NewClient();
        var seen = new List<string?>();
        var inner = new StubHandler(request =>
        {
            seen.Add(request.Headers.TryGetValues("Statehouse-Session", out var v) ? v.Single() : null);
            var response = new HttpResponseMessage(HttpStatusCode.OK);
            response.Headers.Add("Statehouse-Session", "900");
            return response;
        });
        var handler = new SessionTokenHandler(client, Options.Create(new SessionTokenOptions())) { InnerHandler = inner };
        using var http = new HttpClient(handler);
        using (var session = client.BeginSession(42))
        {
            await http.GetAsync("http://downstream.invalid/");
            Assert.Equal("42", seen[0]);
            Assert.Equal(900, session.Revision); // the downstream service's answer raised this user's token
        }
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer(request));
    }

    [Fact]
    public async Task InstancesStartingTogether_ShareOneDataProtectionKey()
    {
        var prefix = "dp-" + Guid.NewGuid().ToString("N") + "/";
        ServiceProvider Instance()
        {
            var services = new ServiceCollection();
            services.AddSingleton(store.NewClient());
            services.AddDataProtection().SetApplicationName("shared-app").PersistKeysToStatehouse(prefix);
            return services.BuildServiceProvider();
        }

        var instances = Enumerable.Range(0, 3).Select(_ => Instance()).ToList();
        await Task.WhenAll(instances.Select(i => i.EnsureStatehouseKeyRingAsync()));
        var stored = await store.NewClient().ScanAsync(KeyRange.Prefix(prefix)).CountAsync();
        Assert.Equal(1, stored);

        // What one instance protects, every other can read.
        var secret = instances[0].GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>().CreateProtector("cookie").Protect("cart-42");
        Assert.All(instances, i => Assert.Equal("cart-42", i.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>().CreateProtector("cookie").Unprotect(secret)));
        instances.ForEach(i => i.Dispose());
    }
}
