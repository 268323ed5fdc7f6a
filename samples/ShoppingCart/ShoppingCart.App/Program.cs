using Microsoft.AspNetCore.DataProtection;
using ShoppingCart.App;
using Statehouse.AspNetCore;
using Statehouse.Client;

// The shopping-cart app: stateless when run with --state statehouse (sessions, carts, orders, idempotency records and
// the Data Protection key ring all in Statehouse), the anti-pattern with --state memory (everything in this process),
// or --state redis --redis HOST:PORT --keys DIR for the benchmark's comparison (sessions and carts in Redis through
// IDistributedCache, keys in a shared folder; no optimistic concurrency, no idempotency store).
//   dotnet run --project samples/ShoppingCart/ShoppingCart.App -- --listen 127.0.0.1:5001 --instance app1 \
//       --state statehouse --statehouse http://127.0.0.1:7071 [--near-cache]
var listen = Arg("--listen") ?? "127.0.0.1:5001";
var instance = Arg("--instance") ?? listen;
var mode = Arg("--state") ?? "statehouse";
var endpoints = (Arg("--statehouse") ?? "http://127.0.0.1:7071").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (mode is not ("statehouse" or "memory" or "redis") || endpoints.Any(e => !Uri.TryCreate(e, UriKind.Absolute, out _))
    || (mode == "redis" && (Arg("--redis") is null || Arg("--keys") is null)))
{
    Console.Error.WriteLine("error: --state statehouse|memory|redis; --statehouse takes comma-separated gRPC URLs of Statehouse nodes; redis needs --redis HOST:PORT and --keys DIR.");
    return 64;
}

var stateless = mode == "statehouse";
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://{listen}");
builder.Logging.SetMinimumLevel(LogLevel.Warning);
if (stateless)
{
    builder.Services.AddStatehouse(o =>
    {
        foreach (var e in endpoints)
        {
            o.Endpoints.Add(new Uri(e));
        }

        // Reads may be served by followers: session tokens keep each user's reads causal across instances.
        o.DefaultReadConsistency = ReadConsistency.Session;
    });
    builder.Services.AddStatehouseSession(cache: c =>
    {
        c.ReadConsistency = ReadConsistency.Session;
        c.NearCache.Enabled = args.Contains("--near-cache");
    });
    builder.Services.AddStatehouseSessionTokens();
    builder.Services.AddStatehouseIdempotency();
    builder.Services.AddStatehouseStateManager(o =>
    {
        o.KeyPrefix = "shop/";
        o.NearCache.Enabled = args.Contains("--near-cache");
    });
    builder.Services.AddDataProtection().SetApplicationName("statehouse-shopping-cart").PersistKeysToStatehouse();
}
else if (mode == "redis")
{
    builder.Services.AddStackExchangeRedisCache(o => o.Configuration = Arg("--redis"));
    builder.Services.AddSession(o => o.Cookie.IsEssential = true);
    builder.Services.AddSingleton<IStateManager, DistributedCacheStateManager>();
    builder.Services.AddDataProtection().SetApplicationName("statehouse-shopping-cart").PersistKeysToFileSystem(new DirectoryInfo(Arg("--keys")!));
}
else
{
    builder.Services.AddDistributedMemoryCache();
    builder.Services.AddSession(o => o.Cookie.IsEssential = true);
    builder.Services.AddSingleton<IStateManager, InMemoryStateManager>();
}

var app = builder.Build();
app.Use(async (ctx, next) =>
{
    ctx.Response.Headers["X-Instance"] = instance;
    try
    {
        await next();
    }
    catch (SessionUnavailableException) when (!ctx.Response.HasStarted)
    {
        ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        ctx.Response.Headers.RetryAfter = "1";
        await ctx.Response.WriteAsJsonAsync(new { title = "Session store unavailable", status = 503, detail = "Your session could not be read just now; retry." }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
});
if (stateless)
{
    app.UseStatehouseSessionTokens();
}

app.UseSession();
if (stateless)
{
    app.UseStatehouseIdempotency();
}
else
{
    app.UseMiddleware<InMemoryIdempotency>();
}

app.MapGet("/healthz", () => Results.Text("ok"));
app.MapGet("/", () => Results.Content(Page.Html, "text/html; charset=utf-8"));
app.MapGet("/api/products", () => Catalog.Products);
app.MapGet("/api/whoami", async (HttpContext ctx) => new { instance, mode, cart = await CartId(ctx) });
app.MapGet("/api/cart", async (HttpContext ctx, IStateManager state) => View(await LoadCart(ctx, state)));
app.MapPost("/api/cart/items", async (HttpContext ctx, IStateManager state, AddItem item) =>
{
    if (Catalog.Find(item.ProductId) is null || item.Quantity is < 1 or > 99)
    {
        return Results.Problem(title: "Bad item", detail: "productId must be a product of /api/products and quantity 1..99.", statusCode: 400);
    }

    var id = await CartId(ctx);
    var cart = await state.UpdateAsync<Cart>($"carts/{id}", c =>
    {
        var lines = (c ?? Cart.Empty).Lines.ToList();
        var index = lines.FindIndex(l => l.ProductId == item.ProductId);
        lines = index < 0 ? [.. lines, new CartLine(item.ProductId, item.Quantity)] : lines.Select((l, i) => i == index ? l with { Quantity = Math.Min(99, l.Quantity + item.Quantity) } : l).ToList();
        return new Cart(lines);
    });
    return Results.Ok(View((id, cart.Value)));
});
app.MapDelete("/api/cart/items/{productId}", async (HttpContext ctx, IStateManager state, string productId) =>
{
    var id = await CartId(ctx);
    var cart = await state.UpdateAsync<Cart>($"carts/{id}", c => new Cart((c ?? Cart.Empty).Lines.Where(l => l.ProductId != productId).ToList()));
    return Results.Ok(View((id, cart.Value)));
});
app.MapPost("/api/checkout", async (HttpContext ctx, IStateManager state) =>
{
    // The order and the emptied cart are written in one transaction, and only if neither changed since they were read:
    // a crash can never leave an order with a full cart, nor a concurrent add slip out of the order unpaid.
    var id = await CartId(ctx);
    for (var attempt = 1; ; attempt++)
    {
        var cart = await state.GetAsync<Cart>($"carts/{id}");
        if (cart is null || cart.Value.Lines.Count == 0)
        {
            return Results.Problem(title: "Empty cart", detail: "Add items before checking out.", statusCode: 409);
        }

        var orders = await state.GetAsync<List<Order>>($"orders/{id}");
        var order = new Order($"o-{Guid.NewGuid():N}"[..14], cart.Value.Lines, cart.Value.Total, DateTimeOffset.UtcNow, instance);
        try
        {
            await state.WriteAtomicallyAsync(
            [
                new StateWrite($"orders/{id}", (orders?.Value ?? []).Append(order).ToList(), orders?.Version ?? 0),
                new StateWrite($"carts/{id}", Cart.Empty, cart.Version),
            ]);
            return Results.Created($"/api/orders/{order.Id}", order);
        }
        catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed && attempt < 10)
        {
            // The cart or the orders changed under us (another tab): read again.
        }
    }
});
app.MapGet("/api/orders", async (HttpContext ctx, IStateManager state) => (await state.GetAsync<List<Order>>($"orders/{await CartId(ctx)}"))?.Value ?? []);
if (stateless)
{
    // One key ring for all instances before any cookie is written (instances often start together).
    await app.Services.EnsureStatehouseKeyRingAsync();
}

await app.RunAsync();
return 0;

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// The user's cart id lives in their session: lose the session, lose the cart.
static async Task<string> CartId(HttpContext ctx)
{
    await ctx.Session.LoadAsync();
    if (!ctx.Session.IsAvailable)
    {
        // ASP.NET Core turns a failed session read into an empty session: treating that as a new visitor would hand
        // the user a new, empty cart. Fail the request instead (503: the page retries).
        throw new SessionUnavailableException();
    }

    if (ctx.Session.GetString("cart") is { } id)
    {
        return id;
    }

    id = Guid.NewGuid().ToString("N");
    ctx.Session.SetString("cart", id);
    await ctx.Session.CommitAsync();
    return id;
}

static async Task<(string Id, Cart Cart)> LoadCart(HttpContext ctx, IStateManager state)
{
    var id = await CartId(ctx);
    return (id, (await state.GetAsync<Cart>($"carts/{id}"))?.Value ?? Cart.Empty);
}

static object View((string Id, Cart Cart) c) => new
{
    cartId = c.Id,
    lines = c.Cart.Lines.Select(l => new { l.ProductId, name = Catalog.Find(l.ProductId)?.Name, l.Quantity, price = Catalog.Find(l.ProductId)?.Price }),
    total = c.Cart.Total,
};

internal sealed record AddItem(string ProductId, int Quantity);

/// <summary>The session could not be read (the store did not answer in time).</summary>
internal sealed class SessionUnavailableException() : Exception("The session store did not answer.");
