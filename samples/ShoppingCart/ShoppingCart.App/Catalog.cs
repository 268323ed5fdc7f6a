namespace ShoppingCart.App;

/// <summary>What the shop sells: fixed data shipped with the app (not state).</summary>
public sealed record Product(string Id, string Name, decimal Price);

public static class Catalog
{
    public static readonly IReadOnlyList<Product> Products =
    [
        new("apple", "Apple", 0.50m),
        new("pear", "Pear", 0.65m),
        new("bread", "Sourdough bread", 4.20m),
        new("coffee", "Coffee beans 250 g", 7.90m),
        new("cheese", "Comté 200 g", 6.40m),
    ];

    public static Product? Find(string id) => Products.FirstOrDefault(p => p.Id == id);
}

/// <summary>A cart: product id → quantity, in the order items were first added.</summary>
public sealed record Cart(List<CartLine> Lines)
{
    public static Cart Empty => new([]);

    public decimal Total => Lines.Sum(l => (Catalog.Find(l.ProductId)?.Price ?? 0) * l.Quantity);
}

public sealed record CartLine(string ProductId, int Quantity);

public sealed record Order(string Id, List<CartLine> Lines, decimal Total, DateTimeOffset PlacedAt, string Instance);
