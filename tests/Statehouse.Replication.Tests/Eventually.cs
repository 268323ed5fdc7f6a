namespace Statehouse.Tests.Shared;

/// <summary>Polls a condition of a system running on real threads until it holds or the time is up (then fails).</summary>
internal static class Eventually
{
    public static async Task Until(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"Not within {seconds} s: {what}");
    }
}
