// Seeds the console's browser tests through the API: a few hundred cases
// of tenant A (varied categories, SKUs, buyers, some outcomes, some
// messages), a handful of tenant B's (whose ids tenant A must never see),
// and an Amazon All Orders report plus account-health events over the last
// 90 days so the SKUs and health pages have units. Deterministic (a seeded
// generator). scripts/console-test.sh spreads the cases' created_at over
// 90 days afterwards. Usage: node seed.mjs (REDRESS_URL, KEY_A, KEY_B).
const base = process.env.REDRESS_URL;
const keys = { A: process.env.KEY_A, B: process.env.KEY_B };
const CASES_A = Number(process.env.SEED_CASES || 320);
const CASES_B = 12;

let state = 20261123;
function rand() { // xorshift32: the same data on every run
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];

const CATEGORIES = ['wrong_item', 'defective', 'damaged_in_transit', 'missing_parts', 'minor_defect', 'packaging_damaged',
  'not_as_described', 'expectation_mismatch', 'usage_question', 'late_delivery', 'lost_in_transit', 'changed_mind',
  'wrong_size_ordered', 'service_complaint'];
const SKUS = [
  { sku: 'MUG-CERAMIC-01', asin: 'B0MUG00001', price: 2599, currency: 'USD' },
  { sku: 'LAMP-DESK-09', asin: 'B0LAMP0009', price: 4599, currency: 'USD' },
  { sku: 'CASE-PHONE-7', asin: 'B0CASE0007', price: 1999, currency: 'USD' },
  { sku: 'KETTLE-STEEL-2', asin: 'B0KETTLE02', price: 5999, currency: 'USD' },
  { sku: 'TOWEL-SET-4', asin: 'B0TOWEL004', price: 3499, currency: 'USD' },
  { sku: 'BOTTLE-SPORT-1', asin: 'B0BOTTLE01', price: 1599, currency: 'USD' },
  { sku: 'HEADSET-BT-3', asin: 'B0HEADSET3', price: 7999, currency: 'USD' },
  { sku: 'CHARGER-USB-C', asin: 'B0CHARGE0C', price: 2499, currency: 'USD' },
  { sku: 'PLANTER-CLAY-5', asin: 'B0PLANT005', price: 2999, currency: 'EUR' },
  { sku: 'FRAME-OAK-A4', asin: 'B0FRAMEA04', price: 3999, currency: 'EUR' },
];
const MESSAGES = [
  'The mug arrived with a crack in the handle. I want a replacement.',
  'My parcel is two weeks late and the tracking has not moved.',
  'The lamp does not switch on at all, it is broken.',
  'I ordered the wrong size, can I send it back?',
  '收到的水壶有划痕，盖子也合不上。',
  'The box was crushed but the item seems fine.',
];

async function api(tenant, method, path, body, headers) {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${keys[tenant]}`, 'Content-Type': 'application/json', ...(headers || {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function caseBody(i, tenant) {
  const item = SKUS[i % SKUS.length === 0 ? 0 : Math.floor(rand() * SKUS.length)];
  const body = {
    ticket_id: `${tenant === 'A' ? 'ZD' : 'GB'}-${10000 + i}`,
    channel: rand() < 0.85 ? 'amazon' : 'shopify',
    order: {
      order_id: `${tenant === 'A' ? '113' : '902'}-${String(4000000 + i).padStart(7, '0')}-${String(1000000 + i * 7).slice(0, 7)}`,
      sku: item.sku, currency: item.currency, item_price: item.price, quantity: 1,
      shipping_paid: rand() < 0.5 ? 499 : 0, fulfillment: rand() < 0.6 ? 'FBA' : 'FBM',
    },
    buyer: { buyer_id: `${tenant === 'A' ? 'BUYER' : 'OTHER'}-${String(Math.floor(rand() * 90)).padStart(3, '0')}`, language: rand() < 0.8 ? 'en' : 'zh-CN' },
    issue: {},
  };
  if (rand() < 0.2) body.issue.message = pick(MESSAGES);
  else body.issue.category = pick(CATEGORIES);
  if (rand() < 0.1) body.signals = { a_to_z_claim: true };
  return body;
}

async function inParallel(count, width, work) {
  let next = 0;
  const workers = Array.from({ length: width }, async () => {
    while (next < count) {
      const i = next++;
      await work(i);
    }
  });
  await Promise.all(workers);
}

function ordersReport() {
  const header = ['amazon-order-id', 'purchase-date', 'last-updated-date', 'order-status', 'fulfillment-channel', 'sales-channel',
    'sku', 'asin', 'item-status', 'quantity', 'currency', 'item-price', 'ship-country'];
  const lines = [header.join('\t')];
  const events = [];
  const returns = [['return-date', 'order-id', 'sku', 'asin', 'fnsku', 'product-name', 'quantity', 'fulfillment-center-id',
    'detailed-disposition', 'reason', 'status', 'license-plate-number', 'customer-comments'].join('\t')];
  const REASONS = ['DEFECTIVE', 'UNWANTED_ITEM', 'DAMAGED_BY_CARRIER', 'NOT_AS_DESCRIBED', 'APPAREL_TOO_SMALL'];
  const now = Date.now();
  for (let i = 0; i < 900; i++) {
    const item = pick(SKUS);
    const quantity = rand() < 0.85 ? 1 : 2;
    const at = new Date(now - Math.floor(rand() * 89 * 86400000) - 3600000);
    const updated = new Date(at.getTime() + 3600000);
    const fba = rand() < 0.6;
    const id = `114-${String(5000000 + i)}-${String(2000000 + i * 3)}`;
    const cancelled = rand() < 0.02;
    lines.push([id, at.toISOString().replace(/\.\d{3}Z$/, '+00:00'), updated.toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      cancelled ? 'Cancelled' : 'Shipped', fba ? 'Amazon' : 'Merchant', 'Amazon.com', item.sku, item.asin,
      cancelled ? 'Cancelled' : 'Shipped', String(quantity), item.currency, ((item.price * quantity) / 100).toFixed(2), 'US'].join('\t'));
    if (fba && !cancelled && rand() < 0.07) {
      const back = new Date(Math.min(at.getTime() + 9 * 86400000, now - 3600000));
      returns.push([back.toISOString().replace(/\.\d{3}Z$/, '+00:00'), id, item.sku, item.asin, `X00${i}`, item.sku, '1', 'PHX7',
        'CUSTOMER_DAMAGED', pick(REASONS), 'Unit returned to inventory', `LPNRR${String(i).padStart(10, '0')}`, ''].join('\t'));
    }
    const day = new Date(at.getTime() + 5 * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r = rand();
    if (r < 0.006) events.push({ type: 'negative_feedback', order_id: id, at: day, rating: 1 });
    else if (r < 0.010) events.push({ type: 'a_to_z_claim', order_id: id, at: day, status: 'open' });
    else if (r < 0.012) events.push({ type: 'chargeback', order_id: id, at: day, status: 'lost' });
    if (!fba && !cancelled) {
      events.push({ type: 'valid_tracking', order_id: id, at: updated.toISOString().replace(/\.\d{3}Z$/, 'Z'), valid: rand() > 0.03 });
      if (rand() < 0.03) {
        events.push({ type: 'late_shipment', order_id: id, at: day, expected_ship_date: updated.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          shipped_at: day });
      }
    }
  }
  return { tsv: `${lines.join('\n')}\n`, returns: `${returns.join('\n')}\n`, ndjson: `${events.map((e) => JSON.stringify(e)).join('\n')}\n` };
}

async function main() {
  const created = [];
  await inParallel(CASES_A, 6, async (i) => {
    const decision = await api('A', 'POST', '/v1/cases', caseBody(i, 'A'), { 'Idempotency-Key': `seed-a-${i}` });
    created.push(decision.case_id);
  });
  await inParallel(CASES_B, 3, async (i) => { await api('B', 'POST', '/v1/cases', caseBody(i, 'B'), { 'Idempotency-Key': `seed-b-${i}` }); });
  created.sort();
  const statuses = ['accepted', 'accepted', 'accepted', 'declined', 'returned', 'escalated'];
  const reviews = ['none', 'none', 'avoided', 'posted', 'updated', 'removed'];
  await inParallel(Math.floor(created.length * 0.45), 6, async (i) => {
    const body = { status: pick(statuses), review_outcome: pick(reviews) };
    if (rand() < 0.7) body.order_retained = rand() < 0.7;
    await api('A', 'POST', `/v1/cases/${created[i]}/outcome`, body, { 'Idempotency-Key': `seed-o-${i}` });
  });
  await inParallel(30, 4, async (i) => {
    const id = created[created.length - 1 - i];
    await api('A', 'POST', `/v1/cases/${id}/messages`, { from: 'buyer', text: pick(MESSAGES) });
    await api('A', 'POST', `/v1/cases/${id}/messages`, { from: 'seller',
      text: i % 5 === 0 ? 'Sorry about that! Please leave us a 5-star review and we will refund you.' : 'Sorry about that — we are sending a replacement today.' });
  });
  const { tsv, returns, ndjson } = ordersReport();
  for (const [ref, body, type] of [['amazon-all-orders', tsv, 'text/tab-separated-values'],
    ['amazon-fba-returns', returns, 'text/tab-separated-values'], ['events', ndjson, 'application/x-ndjson']]) {
    const response = await fetch(`${base}/v1/imports/${ref}`, { method: 'POST', headers: { Authorization: `Bearer ${keys.A}`, 'Content-Type': type }, body });
    const record = await response.json();
    if (response.status !== 201 || record.rejected) throw new Error(`import ${ref}: ${response.status} ${JSON.stringify(record).slice(0, 600)}`);
  }
  console.log(`seeded ${created.length} cases of tenant A, ${CASES_B} of tenant B, orders and events`);
}

main().catch((e) => { console.error(e); process.exit(1); });
