#!/usr/bin/env python3
"""Amazon "All Orders" flat files (and account events) for make bench-reports.

    gen_orders.py --lines N --from YYYY-MM-DD --days D [--first-order K] [--seed S] [--events FILE]

Writes N order lines to stdout: the 32 columns of the report with
its header, one line per SKU of an order (1 to 4), purchase dates spread
evenly over the D days from --from (in order, as Amazon sorts them), five
marketplaces (USD, EUR, GBP, CAD, JPY), FBA and FBM, ~2 % cancelled orders
with an empty price. Orders are numbered from --first-order: files made
with disjoint ranges never share an order. --events FILE also writes
account-health events (NDJSON, POST /v1/imports/events) for some of these
orders: defects on any order (the order defect rate lands near 1 %, at risk
against its target), late shipments, seller cancellations and tracking
(valid for ~97 %; with --tracking-from, only for the recent orders a valid
tracking rate reads) on seller-fulfilled ones.

Everything comes from the seed, so two runs write the same bytes. Written
for speed: the fixed parts of each SKU and marketplace are formatted once,
random draws come from precomputed tables.
"""
import argparse
import datetime
import json
import random
import sys

COLUMNS = ("amazon-order-id merchant-order-id purchase-date last-updated-date order-status "
           "fulfillment-channel sales-channel order-channel url ship-service-level product-name sku asin "
           "item-status quantity currency item-price item-tax shipping-price shipping-tax gift-wrap-price "
           "gift-wrap-tax item-promotion-discount ship-promotion-discount ship-city ship-state "
           "ship-postal-code ship-country promotion-ids is-business-order purchase-order-number "
           "price-designation").split()
assert len(COLUMNS) == 32

SKUS = 600
# marketplace: sales channel, currency, decimals, price factor from USD,
# tax rate, share of orders, a few (city, state, postal code) and country
MARKETS = (
    ("Amazon.com", "USD", 2, 1.0, 0.07, 60, (("Seattle", "WA", "98109"), ("Austin", "TX", "78701"),
                                              ("Columbus", "OH", "43215"), ("Brooklyn", "NY", "11201")), "US"),
    ("Amazon.de", "EUR", 2, 0.93, 0.19, 15, (("Berlin", "", "10115"), ("München", "", "80331"),
                                             ("Köln", "", "50667")), "DE"),
    ("Amazon.co.uk", "GBP", 2, 0.79, 0.20, 12, (("London", "", "SW1A 1AA"), ("Leeds", "", "LS1 4DY")), "GB"),
    ("Amazon.ca", "CAD", 2, 1.36, 0.13, 8, (("Toronto", "ON", "M5V 2T6"), ("Calgary", "AB", "T2P 1J9")), "CA"),
    ("Amazon.co.jp", "JPY", 0, 150.0, 0.10, 5, (("Shibuya-ku", "Tokyo", "150-0002"),), "JP"),
)
NOUNS = ("Stainless Steel Water Bottle", "Wireless Earbuds", "Yoga Mat", "LED Desk Lamp", "Phone Case",
         "Cotton T-Shirt", "Running Shoes", "Coffee Grinder", "Backpack", "USB-C Cable", "Kitchen Scale",
         "Throw Pillow Cover", "Dog Leash", "Hiking Socks", "Bluetooth Speaker", "Notebook, A5 Dotted")
ADJECTIVES = ("Classic", "Pro", "Mini", "Eco", "Deluxe", "Travel", "Everyday", "Premium")
COLOURS = ("Black", "White", "Navy", "Sage", "Red", "Grey")


def money(value, decimals):
    return "%.*f" % (decimals, value) if decimals else "%d" % round(value)


def catalogue(rng):
    """Per SKU: (sku, asin, product name, USD unit price), and a draw table
    in which popular SKUs appear more often (about Zipf)."""
    skus = []
    for i in range(1, SKUS + 1):
        asin = "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8))
        name = "%s %s, %s" % (rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(COLOURS))
        skus.append(("SKU-%d" % i, asin, name, round(rng.uniform(6, 120), 2)))
    weights = [1.0 / (i + 10) for i in range(SKUS)]
    total = sum(weights)
    table = []
    for i, w in enumerate(weights):
        table.extend([i] * max(1, round(w / total * 8192)))
    return skus, table


def order_id(n):
    """A unique Amazon-looking id for order number n (n < 9e9)."""
    return "%03d-%07d-%07d" % (100 + n % 900, n // 900 % 10000000, n * 2654435761 % 10000000)


def start_of(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp())


_days = {}


def iso(t):
    """t as the report prints it; the day's part formatted once per day."""
    day, s = divmod(t, 86400)
    prefix = _days.get(day)
    if prefix is None:
        prefix = _days[day] = datetime.datetime.fromtimestamp(day * 86400, datetime.timezone.utc).strftime("%Y-%m-%dT")
    return "%s%02d:%02d:%02d+00:00" % (prefix, s // 3600, s // 60 % 60, s % 60)


# Account-health events: type, share of the orders it happens to, whether
# only seller-fulfilled orders have it, and its statuses (drawn evenly).
EVENTS = (("negative_feedback", 0.004, False, ("",)),
          ("a_to_z_claim", 0.003, False, ("granted", "granted", "denied")),
          ("chargeback", 0.0015, False, ("",)),
          ("late_shipment", 0.03, True, ("",)),
          ("valid_tracking", 0.99, True, ("valid",) * 49 + ("invalid",)))


def event_lines(rng, oid, t, end, tracking_from, fba, cancelled):
    """The events of one order (none after `end`; tracking only for orders
    from `tracking_from`), as NDJSON lines."""
    lines = []
    for kind, share, fbm_only, statuses in EVENTS:
        if (fbm_only and fba) or (cancelled and kind != "chargeback") or rng.random() >= share:
            continue
        if kind == "valid_tracking" and t < tracking_from:
            continue
        event = {"type": kind, "order_id": oid, "at": iso(min(t + int(rng.random() * 4 * 86400), end)).replace("+00:00", "Z")}
        status = statuses[int(rng.random() * len(statuses))]
        if status:
            event["status"] = status
        lines.append(json.dumps(event, separators=(",", ":")) + "\n")
    if cancelled and not fba and rng.random() < 0.5:
        lines.append('{"type":"seller_cancellation","order_id":"%s","at":"%s"}\n' % (oid, iso(t).replace("+00:00", "Z")))
    return lines


def write_orders(args):
    rng = random.Random(args.seed)
    events_rng = random.Random(args.seed + 1)
    events = open(args.events, "w") if args.events else None
    tracking_from = start_of(args.tracking_from) if args.tracking_from else 0
    skus, sku_table = catalogue(random.Random(1))   # the same catalogue in every file
    market_table = [m for m in MARKETS for _ in range(m[5])]
    lines_table = [1] * 60 + [2] * 25 + [3] * 10 + [4] * 5
    # fixed parts: the line from product-name to asin, per SKU; prices per SKU and market
    sku_part = ["%s\t%s\t%s" % (name, sku, asin) for sku, asin, name, _ in skus]
    begin = start_of(args.start)
    span = args.days * 86400
    out = sys.stdout
    out.write("\t".join(COLUMNS) + "\n")
    written = 0
    n = args.first_order
    buf = []
    price_cache = {}   # (sku, market, quantity, fba, ship promotion) -> the ten price columns
    rand = rng.random
    while written < args.lines:
        t = begin + int(span * written / args.lines)
        oid = order_id(n)
        market = market_table[int(rand() * len(market_table))]
        channel, currency, decimals, factor, tax_rate, _, places, country = market
        city, state, postal = places[int(rand() * len(places))]
        fba = rand() < 0.65
        cancelled = rand() < 0.02
        recent = t > begin + span - 2 * 86400
        updated = min(t + int(rand() * 3 * 86400), begin + span - 1)
        purchase, update = iso(t), iso(updated)
        if cancelled:
            status, item_status = "Cancelled", "Cancelled"
        elif recent:
            status, item_status = "Pending", "Unshipped"
        else:
            status, item_status = "Shipped", "Shipped"
        head = "%s\t\t%s\t%s\t%s\t%s\t%s\t\t\t%s\t" % (
            oid, purchase, update, status, "Amazon" if fba else "Merchant", channel,
            "Expedited" if rand() < 0.1 else "Standard")
        business = rand() < 0.04
        tail = "\t%s\t%s\t%s\t%s\t%s\t%s\t\t%s" % (
            city, state, postal, country, "" if rand() < 0.8 else "Core Free Shipping Promotion",
            "true" if business else "false", "BusinessPrice" if business else "")
        k = min(lines_table[int(rand() * 100)], args.lines - written)
        chosen = set()
        while len(chosen) < k:
            chosen.add(sku_table[int(rand() * len(sku_table))])
        for s in chosen:
            if cancelled:
                prices = "0\t\t\t\t\t\t\t\t\t"
            else:
                qty = 1 if rand() < 0.85 else 2 + int(rand() * 3)
                key = (s, market, qty, fba, rand() < 0.3)
                prices = price_cache.get(key)
                if prices is None:
                    price = skus[s][3] * factor * qty
                    ship = 0.0 if fba else 4.99 * factor
                    prices = price_cache[key] = "%d\t%s\t%s\t%s\t%s\t%s\t0\t0\t0\t%s" % (
                        qty, currency, money(price, decimals), money(price * tax_rate, decimals),
                        money(ship, decimals), money(ship * tax_rate, decimals),
                        money(-ship, decimals) if ship and key[4] else "0")
            buf.append("%s%s\t%s\t%s%s\n" % (head, sku_part[s], item_status, prices, tail))
        written += k
        n += 1
        if events:
            events.writelines(event_lines(events_rng, oid, t, begin + span - 1, tracking_from, fba, cancelled))
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    if events:
        events.close()
    print(n - args.first_order, file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--events", help="also write account events for these orders to this file")
    parser.add_argument("--tracking-from", help="valid_tracking events only for orders from this day (YYYY-MM-DD)")
    parser.add_argument("--from", dest="start", required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--first-order", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_orders(args)


if __name__ == "__main__":
    main()
