using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Statehouse.Client;

namespace Statehouse.AspNetCore.Tests;

/// <summary>Real app instances (Kestrel on loopback) sharing one real store, as stateless servers behind a balancer would.</summary>
public sealed class MiddlewareTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    private static void Session(IServiceCollection services) => services.AddStatehouseSession().AddStatehouseSessionTokens();

    private static void SessionPipeline(WebApplication app)
    {
        app.UseStatehouseSessionTokens();
        app.UseSession();
        app.MapPost("/cart/{item}", async (HttpContext ctx, string item) =>
        {
            var cart = ctx.Session.GetString("cart");
            ctx.Session.SetString("cart", cart is null ? item : $"{cart},{item}");
            await ctx.Session.CommitAsync();
            return Results.Ok();
        });
        app.MapGet("/cart", (HttpContext ctx) => Results.Text(ctx.Session.GetString("cart") ?? ""));
    }

    [Fact]
    public async Task SessionState_WrittenOnOneInstance_IsReadOnAnother()
    {
        await using var a = await store.StartAppAsync(Session, SessionPipeline);
        await using var b = await store.StartAppAsync(Session, SessionPipeline);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() });
        (await http.PostAsync(new Uri(a.Address, "/cart/apple"), null)).EnsureSuccessStatusCode();
        (await http.PostAsync(new Uri(b.Address, "/cart/pear"), null)).EnsureSuccessStatusCode();
        Assert.Equal("apple,pear", await http.GetStringAsync(new Uri(a.Address, "/cart")));
        Assert.Equal("apple,pear", await http.GetStringAsync(new Uri(b.Address, "/cart")));
    }

    [Fact]
    public async Task SessionToken_GoesOutAfterAWrite_AndComesBackIntoTheNextRequestOnAnotherInstance()
    {
        long seenInside = -1;
        void Pipeline(WebApplication app)
        {
            app.UseStatehouseSessionTokens();
            app.MapPost("/write", async (StateClient client) => Results.Ok((await client.PutAsync("tok/k", "v")).Revision));
            app.MapGet("/token", (StateClient client) =>
            {
                seenInside = client.SessionRevision;
                return Results.Ok(seenInside);
            });
        }

        await using var a = await store.StartAppAsync(s => s.AddStatehouseSessionTokens(), Pipeline);
        await using var b = await store.StartAppAsync(s => s.AddStatehouseSessionTokens(), Pipeline);
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies });
        var write = await http.PostAsync(new Uri(a.Address, "/write"), null);
        var revision = await write.Content.ReadFromJsonAsync<long>();
        Assert.Equal(revision.ToString(System.Globalization.CultureInfo.InvariantCulture), write.Headers.GetValues("Statehouse-Session").Single());
        Assert.Contains(cookies.GetCookies(a.Address).Cast<Cookie>(), c => c.Name == "statehouse-session" && c.Value == revision.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The next request lands on the other instance: inside it, session reads ask for at least that revision.
        await http.GetAsync(new Uri(b.Address, "/token"));
        Assert.True(seenInside >= revision, $"token inside the request {seenInside} < {revision}");

        // A forged or foreign token is ignored, not an error.
        using var forged = new HttpRequestMessage(HttpMethod.Get, new Uri(b.Address, "/token"));
        forged.Headers.Add("Statehouse-Session", "-5");
        Assert.Equal(HttpStatusCode.OK, (await new HttpClient().SendAsync(forged)).StatusCode);
    }

    private static void Orders(IServiceCollection services) => services.AddStatehouseIdempotency(o => o.WaitForConcurrent = TimeSpan.FromSeconds(5)).AddStatehouseStateManager();

    private static void OrdersPipeline(WebApplication app)
    {
        app.UseStatehouseIdempotency();
        app.MapPost("/orders", async (HttpContext ctx, IStateManager state) =>
        {
            var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            if (body == "boom")
            {
                return Results.StatusCode(503);
            }

            await Task.Delay(body == "slow" ? 1500 : 0);
            var count = await state.UpdateAsync<int>("orders/count", n => n + 1);
            ctx.Response.Headers.Location = $"/orders/{count.Value}";
            return Results.Created($"/orders/{count.Value}", new { id = count.Value, body });
        });
    }

    private static async Task<int> OrderCount(AppInstance app) =>
        (await app.Services.GetRequiredService<IStateManager>().GetAsync<int>("orders/count"))?.Value ?? 0;

    private static HttpRequestMessage Post(AppInstance app, string key, string body) =>
        new(HttpMethod.Post, new Uri(app.Address, "/orders")) { Content = new StringContent(body), Headers = { { "Idempotency-Key", key } } };

    [Fact]
    public async Task Idempotency_RetryOnAnotherInstance_GetsTheFirstResponse_AndCreatesOneOrder()
    {
        await using var a = await store.StartAppAsync(Orders, OrdersPipeline);
        await using var b = await store.StartAppAsync(Orders, OrdersPipeline);
        using var http = new HttpClient();
        var before = await OrderCount(a);
        var first = await http.SendAsync(Post(a, "order-1", "two apples"));
        var retry = await http.SendAsync(Post(b, "order-1", "two apples"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal("true", retry.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(before + 1, await OrderCount(a));

        // The same key for a different request: 422, nothing created.
        var misuse = await http.SendAsync(Post(b, "order-1", "three pears"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, misuse.StatusCode);
        Assert.Equal("application/problem+json", misuse.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before + 1, await OrderCount(a));
    }

    [Fact]
    public async Task Idempotency_ConcurrentDuplicates_RunOnce()
    {
        await using var a = await store.StartAppAsync(Orders, OrdersPipeline);
        await using var b = await store.StartAppAsync(Orders, OrdersPipeline);
        using var http = new HttpClient();
        var before = await OrderCount(a);
        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => http.SendAsync(Post(i % 2 == 0 ? a : b, "order-slow", "slow"))));
        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(replies.Select(r => r.Headers.Location).Distinct());
        Assert.Equal(before + 1, await OrderCount(a));
    }

    [Fact]
    public async Task Idempotency_FailedRequestReleasesTheKey_BadKeyIs400_GetPassesThrough()
    {
        await using var a = await store.StartAppAsync(Orders, OrdersPipeline);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.SendAsync(Post(a, "order-boom", "boom"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.SendAsync(Post(a, "order-boom", "boom"))).StatusCode); // ran again, not replayed
        var bad = await http.SendAsync(Post(a, "has space", "x"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(a.Address, "/orders")) { Headers = { { "Idempotency-Key", "has space" } } };
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.SendAsync(get)).StatusCode); // not guarded: routing answers
    }

    [Fact]
    public async Task StateManager_ConcurrentUpdates_LoseNothing_AndVersionsGuardWrites()
    {
        await using var a = await store.StartAppAsync(s => s.AddStatehouseStateManager(), _ => { });
        await using var b = await store.StartAppAsync(s => s.AddStatehouseStateManager(), _ => { });
        var managers = new[] { a.Services.GetRequiredService<IStateManager>(), b.Services.GetRequiredService<IStateManager>() };
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => managers[i % 2].UpdateAsync<List<int>>("cart/42", c => [.. c ?? [], i])));
        var cart = await managers[0].GetAsync<List<int>>("cart/42");
        Assert.Equal(Enumerable.Range(0, 40), cart!.Value.Order());

        await managers[1].SetAsync("cart/42", new List<int> { 1 }, expectedVersion: cart.Version);
        var stale = await Assert.ThrowsAsync<StatehouseException>(() => managers[0].SetAsync("cart/42", new List<int> { 2 }, expectedVersion: cart.Version));
        Assert.Equal(StatehouseErrorCode.PreconditionFailed, stale.Code);
        // An atomic group: all or nothing.
        var current = await managers[0].GetAsync<List<int>>("cart/42");
        var failed = await Assert.ThrowsAsync<StatehouseException>(() => managers[0].WriteAtomicallyAsync(
            [new StateWrite("orders/42", new List<int> { 9 }, 0), new StateWrite("cart/42", new List<int>(), current!.Version - 1)]));
        Assert.Equal(StatehouseErrorCode.PreconditionFailed, failed.Code);
        Assert.Null(await managers[0].GetAsync<List<int>>("orders/42")); // the first write did not happen either
        await managers[1].WriteAtomicallyAsync([new StateWrite("orders/42", new List<int> { 9 }, 0), new StateWrite("cart/42", new List<int>(), current!.Version)]);
        Assert.Equal([9], (await managers[0].GetAsync<List<int>>("orders/42"))!.Value);
        Assert.Empty((await managers[0].GetAsync<List<int>>("cart/42"))!.Value);
        Assert.True(await managers[0].DeleteAsync("orders/42"));

        Assert.True(await managers[0].DeleteAsync("cart/42"));
        Assert.False(await managers[0].DeleteAsync("cart/42"));
        Assert.Null(await managers[0].GetAsync<List<int>>("cart/42"));
    }
}
