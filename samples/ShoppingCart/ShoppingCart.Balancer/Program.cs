using Yarp.ReverseProxy.Configuration;

// A plain round-robin load balancer (YARP) in front of the app instances: no sticky sessions, so consecutive requests
// of one user land on different instances. Active health checks (GET /healthz every second) take a dead instance out
// of the rotation until it answers again.
//   dotnet run --project samples/ShoppingCart/ShoppingCart.Balancer -- --listen 127.0.0.1:5000 --backends http://127.0.0.1:5001,http://127.0.0.1:5002
var listen = Arg(args, "--listen") ?? "127.0.0.1:5000";
var backends = (Arg(args, "--backends") ?? "http://127.0.0.1:5001,http://127.0.0.1:5002,http://127.0.0.1:5003")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (backends.Length == 0 || backends.Any(b => !Uri.TryCreate(b, UriKind.Absolute, out _)))
{
    Console.Error.WriteLine("error: --backends needs a comma-separated list of absolute http:// URLs.");
    return 64;
}

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://{listen}");
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "app", ClusterId = "app", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig
    {
        ClusterId = "app",
        LoadBalancingPolicy = "RoundRobin",
        HealthCheck = new HealthCheckConfig
        {
            Active = new ActiveHealthCheckConfig { Enabled = true, Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(1), Path = "/healthz", Policy = "ConsecutiveFailures" },
        },
        Metadata = new Dictionary<string, string> { ["ConsecutiveFailuresHealthPolicy.Threshold"] = "1" },
        Destinations = backends.Select((b, i) => (b, i)).ToDictionary(x => $"app{x.i + 1}", x => new DestinationConfig { Address = x.b, Health = x.b + "/" }),
    }]);
var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
return 0;

static string? Arg(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
