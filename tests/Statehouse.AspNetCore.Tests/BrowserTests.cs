using Microsoft.Playwright;

namespace Statehouse.AspNetCore.Tests;

/// <summary>
/// The shop's page in a real browser (headless Chromium from Debian's <c>chromium</c> package, driven by Playwright, no
/// browser download): items added on the page survive an app instance restart; a screenshot is kept in artifacts/.
/// </summary>
[Collection(ShopStack.Collection)]
public sealed class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task ItemsAddedOnThePage_SurviveAnInstanceRestart()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (scripts/test.sh does it when run as root).");
        await using var shop = new ShopStack();
        await shop.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(shop.Balancer.ToString());
        var cart = page.Locator("#cart");
        await page.Locator("[data-testid=add-apple]").ClickAsync();
        await Assertions.Expect(cart).ToHaveAttributeAsync("data-items", "apple:1");
        await page.Locator("[data-testid=add-coffee]").ClickAsync();
        await Assertions.Expect(cart).ToHaveAttributeAsync("data-items", "apple:1,coffee:1");
        await page.Locator("[data-testid=add-apple]").ClickAsync();
        await Assertions.Expect(cart).ToHaveAttributeAsync("data-items", "apple:2,coffee:1");

        // Every instance restarts (kill -9, start again): the page, reloaded through the balancer, shows the same cart.
        foreach (var app in new[] { "app1", "app2", "app3" })
        {
            shop.Kill(app);
            shop.Restart(app);
            await shop.WaitAppAsync(int.Parse(app[3..], System.Globalization.CultureInfo.InvariantCulture));
        }

        await Task.Delay(1500); // the balancer's health checks see the instances again
        for (var i = 0; i < 3; i++)
        {
            await page.ReloadAsync();
            await Assertions.Expect(cart).ToHaveAttributeAsync("data-items", "apple:2,coffee:1", new LocatorAssertionsToHaveAttributeOptions { Timeout = 15_000 });
        }

        var screenshot = Path.Combine(ShopStack.Root, "artifacts", "shopping-cart.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 0);
    }
}
