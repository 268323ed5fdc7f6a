using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Statehouse.Bench;

/// <summary>
/// web: the shopping-cart page through the balancer. Each simulated user has its own cookies (session) and its own
/// connection; it first puts three items in its cart, then reads the cart page (GET --path) in a closed loop for
/// --seconds. Prints requests/s and latency percentiles over all users.
/// </summary>
internal static class WebCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var url = new Uri(a.RequiredStr("url"));
        var users = a.Int("users", 64);
        var seconds = a.Double("seconds", 10);
        var warmup = a.Double("warmup", 2);
        var path = a.Str("path", "/api/cart");
        var label = a.Str("label", "web");
        a.RejectUnknown();
        if (users is < 1 or > 4096 || seconds <= 0)
        {
            throw new ArgumentException("--users 1..4096 and --seconds > 0.");
        }

        var clients = Enumerable.Range(0, users).Select(_ => new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), MaxConnectionsPerServer = 1 }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) }).ToList();
        try
        {
            // Every user gets a session and a cart with three items.
            await Task.WhenAll(clients.Select(async c =>
            {
                foreach (var product in new[] { "apple", "bread", "coffee" })
                {
                    using var content = new StringContent($"{{\"productId\":\"{product}\",\"quantity\":1}}", Encoding.UTF8, "application/json");
                    using var response = await c.PostAsync("/api/cart/items", content).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                }
            })).ConfigureAwait(false);

            var histogram = new LatencyHistogram();
            long errors = 0;
            var measuring = false;
            var stop = Stopwatch.StartNew();
            var total = TimeSpan.FromSeconds(warmup + seconds);
            long measuredStart = 0;
            var gate = new Lock();
            await Task.WhenAll(clients.Select(c => Task.Run(async () =>
            {
                var local = new LatencyHistogram();
                long localErrors = 0;
                while (stop.Elapsed < total)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await c.GetAsync(path).ConfigureAwait(false);
                        await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
                        if (!response.IsSuccessStatusCode)
                        {
                            localErrors++;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        localErrors++;
                    }

                    if (Volatile.Read(ref measuring))
                    {
                        local.Record(LatencyHistogram.TicksToNs(Stopwatch.GetTimestamp() - started));
                    }
                    else if (stop.Elapsed.TotalSeconds >= warmup)
                    {
                        lock (gate)
                        {
                            if (!measuring)
                            {
                                measuredStart = Stopwatch.GetTimestamp();
                                Volatile.Write(ref measuring, true);
                            }
                        }
                    }
                }

                lock (gate)
                {
                    histogram.Merge(local);
                    errors += localErrors;
                }
            }))).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(measuredStart).TotalSeconds;
            var rate = histogram.Count / elapsed;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label} users={users} {rate:F0} req/s  p50 {Results.Ms(histogram.PercentileMs(0.5))} ms  p99 {Results.Ms(histogram.PercentileMs(0.99))} ms  p999 {Results.Ms(histogram.PercentileMs(0.999))} ms  errors {errors}"));
            return errors > histogram.Count / 100 ? 1 : 0;
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
