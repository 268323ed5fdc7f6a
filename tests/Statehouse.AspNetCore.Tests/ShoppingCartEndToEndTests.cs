using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Statehouse.AspNetCore.Tests;

/// <summary>
/// The shopping-cart sample end to end through the round-robin balancer, against a 3-node Statehouse cluster: real
/// processes, kill -9 of an app instance and of the Statehouse leader mid-journey.
/// </summary>
[Collection(ShopStack.Collection)]
public sealed class ShoppingCartEndToEndTests
{
    private static async Task<HttpResponseMessage> SendWithRetryAsync(HttpClient http, Func<HttpRequestMessage> request)
    {
        // A user's browser retries a request that hit an instance or a node while it died (the balancer answers 502
        // until its health check notices; a write in flight during a leader change answers 503).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await http.SendAsync(request());
                if ((int)response.StatusCode < 500 || attempt == 40)
                {
                    return response;
                }
            }
            catch (HttpRequestException) when (attempt < 40)
            {
            }

            await Task.Delay(250);
        }
    }

    private static Func<HttpRequestMessage> Add(ShopStack shop, string product) => () => new HttpRequestMessage(HttpMethod.Post, new Uri(shop.Balancer, "/api/cart/items"))
    {
        Content = JsonContent.Create(new { productId = product, quantity = 1 }),
    };

    private static async Task<Dictionary<string, int>> CartAsync(HttpClient http, ShopStack shop)
    {
        var response = await SendWithRetryAsync(http, () => new HttpRequestMessage(HttpMethod.Get, new Uri(shop.Balancer, "/api/cart")));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return json.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("productId").GetString()!, l => l.GetProperty("quantity").GetInt32());
    }

    [Fact]
    public async Task OneUser_AcrossInstances_Kills_AndARetriedCheckout_OneCart_OneOrder()
    {
        await using var shop = new ShopStack();
        await shop.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { Timeout = TimeSpan.FromSeconds(10) };

        // Requests land on different instances and see one cart.
        var served = new HashSet<string>();
        foreach (var product in new[] { "apple", "pear", "bread" })
        {
            var response = await SendWithRetryAsync(http, Add(shop, product));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served.Add(response.Headers.GetValues("X-Instance").Single());
        }

        Assert.True(served.Count >= 2, $"round robin should spread the requests; served by {string.Join(",", served)}");
        Assert.Equal(new Dictionary<string, int> { ["apple"] = 1, ["pear"] = 1, ["bread"] = 1 }, await CartAsync(http, shop));

        // Mid-journey: kill -9 an app instance and the Statehouse leader; the user goes on, then both come back.
        shop.Kill("app2");
        var leader = await shop.LeaderAsync(http);
        Assert.True(leader >= 0);
        shop.Kill($"n{leader + 1}");
        Assert.Equal(HttpStatusCode.OK, (await SendWithRetryAsync(http, Add(shop, "coffee"))).StatusCode);
        shop.Restart("app2");
        shop.Restart($"n{leader + 1}");
        await shop.WaitAppAsync(2);
        Assert.Equal(new Dictionary<string, int> { ["apple"] = 1, ["pear"] = 1, ["bread"] = 1, ["coffee"] = 1 }, await CartAsync(http, shop));

        // Read-your-writes across instances with follower reads: each add is seen by the very next read, wherever it lands.
        for (var i = 1; i <= 15; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendWithRetryAsync(http, Add(shop, "cheese"))).StatusCode);
            Assert.Equal(i, (await CartAsync(http, shop))["cheese"]);
        }

        // Checkout retried with the same Idempotency-Key (on another instance): one order, the same answer twice.
        HttpRequestMessage Checkout() => new(HttpMethod.Post, new Uri(shop.Balancer, "/api/checkout")) { Headers = { { "Idempotency-Key", "e2e-checkout-1" } } };
        var first = await SendWithRetryAsync(http, Checkout);
        var second = await SendWithRetryAsync(http, Checkout);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        var orders = await (await SendWithRetryAsync(http, () => new HttpRequestMessage(HttpMethod.Get, new Uri(shop.Balancer, "/api/orders")))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, orders.GetArrayLength());
        Assert.Empty(await CartAsync(http, shop));
    }
}
