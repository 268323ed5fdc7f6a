namespace ShoppingCart.App;

/// <summary>The shop's one page: products, the cart and checkout, talking to the JSON API (no framework).</summary>
internal static class Page
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Statehouse shop</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #222; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
  table { border-collapse: collapse; width: 100%; } td, th { padding: .35rem .5rem; border-bottom: 1px solid #ddd; text-align: left; }
  button { padding: .3rem .7rem; cursor: pointer; } #status { color: #666; font-size: .85rem; }
  .total { font-weight: 600; }
</style>
</head>
<body>
<h1>Statehouse shop</h1>
<p id="status">loading…</p>
<h2>Products</h2>
<table id="products"><tr><th>Product</th><th>Price</th><th></th></tr></table>
<h2>Your cart</h2>
<table id="cart"><tr><th>Item</th><th>Qty</th><th>Price</th><th></th></tr></table>
<p class="total">Total: <span id="total">0.00</span></p>
<button id="checkout">Checkout</button>
<h2>Your orders</h2>
<ul id="orders"></ul>
<script>
// One idempotency key per checkout attempt: a retry (double click, network error) sends the same key.
let checkoutKey = crypto.randomUUID();
const $ = id => document.getElementById(id);
async function api(method, path, body, headers) {
  // An instance that just died answers 502 through the balancer until its health check notices: try again, as a
  // user would (POSTs carry an Idempotency-Key where a repeat would matter).
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(path, { method, headers: { 'Content-Type': 'application/json', ...(headers || {}) }, body: body ? JSON.stringify(body) : undefined });
      if (![502, 503, 504].includes(response.status) || attempt === 5) break;
    } catch (e) { if (attempt === 5) throw e; }
    await new Promise(r => setTimeout(r, 300 * attempt));
  }
  $('status').textContent = `served by ${response.headers.get('X-Instance')}`;
  if (!response.ok && response.status !== 409) throw new Error(`${method} ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}
function row(cells) { const tr = document.createElement('tr'); cells.forEach(c => { const td = document.createElement('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c; tr.appendChild(td); }); return tr; }
function button(text, onClick, testId) { const b = document.createElement('button'); b.textContent = text; b.onclick = onClick; if (testId) b.dataset.testid = testId; return b; }
function showCart(cart) {
  const table = $('cart'); while (table.rows.length > 1) table.deleteRow(1);
  for (const line of cart.lines) table.appendChild(row([line.name, line.quantity, (line.price * line.quantity).toFixed(2), button('Remove', () => api('DELETE', `/api/cart/items/${line.productId}`).then(showCart), `remove-${line.productId}`)]));
  table.dataset.items = cart.lines.map(l => `${l.productId}:${l.quantity}`).join(',');
  $('total').textContent = cart.total.toFixed(2);
}
async function showOrders() {
  const orders = await api('GET', '/api/orders');
  $('orders').innerHTML = '';
  for (const o of orders) { const li = document.createElement('li'); li.textContent = `${o.id}: ${o.lines.map(l => `${l.quantity}× ${l.productId}`).join(', ')} — ${o.total.toFixed(2)} (placed on ${o.instance})`; $('orders').appendChild(li); }
}
async function load() {
  // The cart first: its answer carries the session cookie. Buttons appear only after it, so a quick first click can
  // never race the page's own first request into two different sessions (the browser test caught a cart lost so).
  showCart(await api('GET', '/api/cart'));
  const products = await api('GET', '/api/products');
  for (const p of products) $('products').appendChild(row([p.name, p.price.toFixed(2), button('Add', () => api('POST', '/api/cart/items', { productId: p.id, quantity: 1 }).then(showCart), `add-${p.id}`)]));
  await showOrders();
}
$('checkout').onclick = async () => {
  await api('POST', '/api/checkout', null, { 'Idempotency-Key': checkoutKey });
  checkoutKey = crypto.randomUUID();
  showCart(await api('GET', '/api/cart'));
  await showOrders();
};
load();
</script>
</body>
</html>
""";
}
