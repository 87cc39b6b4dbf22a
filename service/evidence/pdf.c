/* The evidence pack as a PDF a person reads and attaches: cairo draws
 * it, pango lays out the text (line breaking, bidi, and the fallback to
 * a CJK font for Chinese and Japanese). Cairo embeds a subset of each
 * font used, so the file reads the same anywhere.
 *
 * Only the fonts listed below are used, through a private fontconfig
 * configuration: what the machine has installed besides cannot change
 * the document, and the same pack gives the same bytes (cairo's fixed
 * metadata dates are set from the pack's generated_at).
 *
 * The pages are laid out twice with the same code: once to count them
 * ("page 2 of 5"), once to draw. Text is placed line by line, so a
 * message longer than a page continues on the next; nothing is clipped. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include "buf.h"
#include "evidence.h"

/* The fonts the document may use, from Debian's fonts-dejavu-core and
 * fonts-droid-fallback (Droid Sans Fallback covers CJK ideographs, kana
 * and hangul in 4 MB, where Noto CJK takes 90). */
static const char *const FONT_FILES[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
};
#define FONT_FAMILIES "DejaVu Sans, Droid Sans Fallback"

/* A4 in points, and the page's furniture. */
static const double PAGE_WIDTH = 595.276, PAGE_HEIGHT = 841.890;
static const double MARGIN_X = 56, MARGIN_TOP = 64, MARGIN_BOTTOM = 64;
static const double RUNNING_HEAD_Y = 36, RUNNING_FOOT_Y = PAGE_HEIGHT - 34;
/* The time column of timeline entries; verbatim texts under an entry are
 * indented less, to keep most of the line for them (a Chinese message
 * wraps after about 50 characters rather than 37). */
static const double LABEL_WIDTH = 142, VERBATIM_INDENT = 18;

/* ---- fonts: one private fontconfig configuration, made once ---- */

static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;
static FcConfig *font_config; /* NULL when a font file could not be loaded */

static void fonts_load(void)
{
    FcConfig *config = FcConfigCreate();
    bool loaded = config != NULL;
    for (size_t i = 0; loaded && i < sizeof(FONT_FILES) / sizeof(FONT_FILES[0]); i++)
        loaded = FcConfigAppFontAddFile(config, (const FcChar8 *)FONT_FILES[i]) == FcTrue;
    if (!loaded) {
        if (config != NULL)
            FcConfigDestroy(config);
        return;
    }
    font_config = config;
}

bool evidence_pdf_ready(const char **missing)
{
    pthread_once(&fonts_once, fonts_load);
    if (font_config == NULL && missing != NULL) {
        *missing = FONT_FILES[0];
        for (size_t i = 0; i < sizeof(FONT_FILES) / sizeof(FONT_FILES[0]); i++) {
            FILE *f = fopen(FONT_FILES[i], "rb");
            if (f == NULL) {
                *missing = FONT_FILES[i];
                break;
            }
            fclose(f);
        }
    }
    return font_config != NULL;
}

/* ---- styles ---- */

enum style { STYLE_TITLE, STYLE_HEADING, STYLE_BODY, STYLE_STRONG, STYLE_VERBATIM, STYLE_SMALL, STYLE_COUNT };

static const struct style_spec {
    const char *font; /* a pango font description */
    double r, g, b;   /* text colour */
    double space_before;
} STYLES[STYLE_COUNT] = {
    [STYLE_TITLE] = { FONT_FAMILIES " Bold 17", 0.10, 0.13, 0.20, 0 },
    [STYLE_HEADING] = { FONT_FAMILIES " Bold 11.5", 0.10, 0.13, 0.20, 16 },
    [STYLE_BODY] = { FONT_FAMILIES " 9", 0.12, 0.12, 0.12, 3 },
    [STYLE_STRONG] = { FONT_FAMILIES " Bold 9", 0.12, 0.12, 0.12, 6 },
    [STYLE_VERBATIM] = { FONT_FAMILIES " 9", 0.05, 0.05, 0.05, 2 },
    [STYLE_SMALL] = { FONT_FAMILIES " 7.5", 0.40, 0.42, 0.45, 3 },
};

/* ---- the page cursor ---- */

struct doc {
    cairo_t *cr;          /* NULL while counting pages */
    PangoContext *context;
    PangoFontDescription *fonts[STYLE_COUNT];
    const char *case_id, *order_id, *generated_at;
    int page;             /* 1-based; 0 before the first */
    int pages;            /* known in the drawing pass */
    double y;             /* top of the next line */
    bool failed;
};

static void running_lines(struct doc *d);
static void utc_words(const char *rfc3339, char out[32]);

static void page_begin(struct doc *d)
{
    if (d->page > 0 && d->cr != NULL)
        cairo_show_page(d->cr);
    d->page++;
    d->y = MARGIN_TOP;
    running_lines(d);
}

/* A new page unless height fits above the bottom margin. */
static void room_for(struct doc *d, double height)
{
    if (d->page == 0 || d->y + height > PAGE_HEIGHT - MARGIN_BOTTOM)
        page_begin(d);
}

static PangoLayout *layout_of(struct doc *d, enum style style, const char *text, double width, double hang)
{
    PangoLayout *layout = pango_layout_new(d->context);
    if (layout == NULL) {
        d->failed = true;
        return NULL;
    }
    pango_layout_set_font_description(layout, d->fonts[style]);
    pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    if (hang > 0) {
        /* A label, a tab, then text whose later lines hang under the tab. */
        pango_layout_set_indent(layout, -(int)(hang * PANGO_SCALE));
        PangoTabArray *tabs = pango_tab_array_new_with_positions(1, FALSE, PANGO_TAB_LEFT, (int)(hang * PANGO_SCALE));
        pango_layout_set_tabs(layout, tabs);
        pango_tab_array_free(tabs);
    }
    pango_layout_set_text(layout, text, -1);
    return layout;
}

/* Draw (or, while counting, only place) a laid-out paragraph at x, line by
 * line, starting a page wherever the next line does not fit. */
static void flow(struct doc *d, PangoLayout *layout, enum style style, double x)
{
    const struct style_spec *spec = &STYLES[style];
    PangoLayoutIter *it = pango_layout_get_iter(layout);
    if (it == NULL) {
        d->failed = true;
        return;
    }
    do {
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it, NULL, &logical);
        double height = (double)logical.height / PANGO_SCALE;
        double baseline = (double)(pango_layout_iter_get_baseline(it) - logical.y) / PANGO_SCALE;
        room_for(d, height);
        if (d->cr != NULL) {
            cairo_set_source_rgb(d->cr, spec->r, spec->g, spec->b);
            cairo_move_to(d->cr, x + (double)logical.x / PANGO_SCALE, d->y + baseline);
            pango_cairo_show_layout_line(d->cr, pango_layout_iter_get_line_readonly(it));
        }
        d->y += height;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
}

/* A paragraph in the text column, indented by indent. */
/* One paragraph at indent: hang > 0 sets a tab there under which the later
 * lines hang; bold_bytes > 0 sets the text's first bytes in bold. */
static void set_text(struct doc *d, enum style style, double indent, double hang, const char *text, size_t bold_bytes)
{
    if (text == NULL || d->failed)
        return;
    PangoLayout *layout = layout_of(d, style, text, PAGE_WIDTH - 2 * MARGIN_X - indent, hang);
    if (layout == NULL)
        return;
    if (bold_bytes > 0) {
        PangoAttrList *attributes = pango_attr_list_new();
        PangoAttribute *bold = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
        bold->start_index = 0;
        bold->end_index = (guint)bold_bytes;
        pango_attr_list_insert(attributes, bold);
        pango_layout_set_attributes(layout, attributes);
        pango_attr_list_unref(attributes);
    }
    d->y += STYLES[style].space_before;
    flow(d, layout, style, MARGIN_X + indent);
    g_object_unref(layout);
}

static void paragraph(struct doc *d, enum style style, double indent, const char *text)
{
    set_text(d, style, indent, 0, text, 0);
}

/* Two parts joined by sep into one paragraph (the buffer's failure is the
 * document's). */
static void joined(struct doc *d, enum style style, double hang, const char *first, const char *sep,
                   const char *second, size_t bold_bytes)
{
    struct buf text;
    buf_init(&text, 0);
    buf_printf(&text, "%s%s%s", first, sep, second);
    if (buf_ok(&text))
        set_text(d, style, 0, hang, text.data, bold_bytes);
    else
        d->failed = true;
    buf_cleanup(&text);
}

/* "Label: value", the label in bold; a missing value reads as a dash. */
static void labelled(struct doc *d, const char *label, const char *value)
{
    joined(d, STYLE_BODY, 0, label, ": ", value != NULL ? value : "—", strlen(label) + 1);
}

/* A timeline entry's first line: its time in the label column, then what
 * happened, whose later lines hang under the text. */
static void entry_line(struct doc *d, const char *at, const char *text)
{
    joined(d, STYLE_STRONG, LABEL_WIDTH, at, "\t", text, 0);
}

static void heading(struct doc *d, const char *text)
{
    if (d->failed)
        return;
    /* Kept with what follows: a heading never ends a page. */
    room_for(d, STYLES[STYLE_HEADING].space_before + 60);
    paragraph(d, STYLE_HEADING, 0, text);
    if (d->cr != NULL) {
        cairo_set_source_rgb(d->cr, 0.75, 0.78, 0.82);
        cairo_set_line_width(d->cr, 0.6);
        cairo_move_to(d->cr, MARGIN_X, d->y + 2);
        cairo_line_to(d->cr, PAGE_WIDTH - MARGIN_X, d->y + 2);
        cairo_stroke(d->cr);
    }
    d->y += 4;
}

/* The case on every page's head, the page count at its foot. */
static void running_lines(struct doc *d)
{
    if (d->cr == NULL)
        return;
    char text[256];
    snprintf(text, sizeof(text), "Redress evidence pack · case %s · order %s", d->case_id, d->order_id);
    PangoLayout *head = layout_of(d, STYLE_SMALL, text, PAGE_WIDTH - 2 * MARGIN_X, 0);
    char at[32];
    utc_words(d->generated_at, at);
    snprintf(text, sizeof(text), "Generated at %s · page %d of %d", at, d->page, d->pages);
    PangoLayout *foot = layout_of(d, STYLE_SMALL, text, PAGE_WIDTH - 2 * MARGIN_X, 0);
    if (head == NULL || foot == NULL) {
        if (head != NULL)
            g_object_unref(head);
        if (foot != NULL)
            g_object_unref(foot);
        return;
    }
    pango_layout_set_alignment(foot, PANGO_ALIGN_RIGHT);
    const struct style_spec *spec = &STYLES[STYLE_SMALL];
    cairo_set_source_rgb(d->cr, spec->r, spec->g, spec->b);
    cairo_move_to(d->cr, MARGIN_X, RUNNING_HEAD_Y - 10);
    pango_cairo_show_layout(d->cr, head);
    cairo_move_to(d->cr, MARGIN_X, RUNNING_FOOT_Y);
    pango_cairo_show_layout(d->cr, foot);
    g_object_unref(head);
    g_object_unref(foot);
}

/* ---- reading the pack ---- */

static const char *text_of(const json_t *object, const char *name)
{
    return json_string_value(json_object_get(object, name));
}

/* "2026-11-15T09:00:00Z" as "2026-11-15 09:00 UTC" (the pack's times are UTC). */
static void utc_words(const char *rfc3339, char out[32])
{
    if (rfc3339 == NULL || strlen(rfc3339) != 20 || rfc3339[19] != 'Z')
        snprintf(out, 32, "%s", rfc3339 != NULL ? rfc3339 : "time unknown");
    else
        snprintf(out, 32, "%.10s %.8s UTC", rfc3339, rfc3339 + 11);
}

static const struct {
    const char *kind, *label;
} KIND_LABELS[] = {
    { "ordered", "Ordered" },   { "shipped", "Shipped" },  { "delivered", "Delivered" },
    { "claim", "Buyer's claim" }, { "message", "Message" }, { "decision", "Decision" },
    { "remedy_offered", "Remedy offered" }, { "outcome", "Outcome" },
};

static const char *kind_label(const char *kind)
{
    for (size_t i = 0; i < sizeof(KIND_LABELS) / sizeof(KIND_LABELS[0]); i++)
        if (kind != NULL && strcmp(kind, KIND_LABELS[i].kind) == 0)
            return KIND_LABELS[i].label;
    return kind != NULL ? kind : "Entry";
}

static const char *const PURPOSE_TITLES[EVIDENCE_PURPOSE_COUNT] = {
    [EVIDENCE_PURPOSE_A_TO_Z] = "For Amazon's A-to-z Guarantee claim review",
    [EVIDENCE_PURPOSE_CHARGEBACK] = "For the card issuer's chargeback review",
    [EVIDENCE_PURPOSE_REVIEW_APPEAL] = "For the marketplace's review moderation",
};

/* ---- the sections ---- */

static void header_section(struct doc *d, const json_t *pack)
{
    const json_t *kase = json_object_get(pack, "case");
    const json_t *purpose = json_object_get(pack, "purpose");
    paragraph(d, STYLE_TITLE, 0, "Evidence pack");
    enum evidence_purpose p;
    if (evidence_purpose_parse(text_of(purpose, "name"), &p))
        paragraph(d, STYLE_BODY, 0, PURPOSE_TITLES[p]);
    d->y += 6;
    char at[32];
    utc_words(text_of(kase, "generated_at"), at);
    labelled(d, "Seller", text_of(kase, "seller"));
    labelled(d, "Order", text_of(kase, "order_id"));
    labelled(d, "Case", text_of(kase, "case_id"));
    labelled(d, "Marketplace", text_of(kase, "channel"));
    labelled(d, "SKU", text_of(kase, "sku"));
    labelled(d, "Buyer", text_of(kase, "buyer_id"));
    labelled(d, "Helpdesk ticket", text_of(kase, "ticket_id"));
    labelled(d, "Generated at", at);
    paragraph(d, STYLE_SMALL, 0,
              "All times are UTC. Messages are reproduced verbatim, in the language they were written in. "
              "\"Generated at\" is the time of the record's latest entry: the same record gives the same document.");
    if (json_is_object(purpose)) {
        heading(d, "Statement");
        paragraph(d, STYLE_BODY, 0, text_of(purpose, "statement"));
    }
}

/* A detail member as its own verbatim paragraph under the entry. */
static void detail_text(struct doc *d, const json_t *detail, const char *name, const char *label)
{
    const char *text = text_of(detail, name);
    if (text == NULL)
        return;
    paragraph(d, STYLE_SMALL, VERBATIM_INDENT, label);
    paragraph(d, STYLE_VERBATIM, VERBATIM_INDENT, text);
}

static void timeline_section(struct doc *d, const json_t *pack)
{
    heading(d, "Timeline");
    size_t i;
    const json_t *entry;
    json_array_foreach(json_object_get(pack, "timeline"), i, entry) {
        if (d->failed)
            return;
        char at[32];
        utc_words(text_of(entry, "at"), at);
        const char *kind = text_of(entry, "kind");
        struct buf line;
        buf_init(&line, 0);
        buf_printf(&line, "%s — %s", kind_label(kind), text_of(entry, "summary") ? text_of(entry, "summary") : "");
        room_for(d, 40); /* an entry's first lines stay with its time */
        entry_line(d, at, line.data);
        if (!buf_ok(&line))
            d->failed = true;
        buf_cleanup(&line);
        const json_t *detail = json_object_get(entry, "detail");
        if (kind != NULL && strcmp(kind, "claim") == 0) {
            detail_text(d, detail, "description", "Description, as the buyer gave it:");
            detail_text(d, detail, "message", "The buyer's message:");
        } else if (kind != NULL && strcmp(kind, "message") == 0) {
            paragraph(d, STYLE_VERBATIM, VERBATIM_INDENT, text_of(detail, "text"));
        } else if (kind != NULL && strcmp(kind, "decision") == 0) {
            size_t k;
            const json_t *reason;
            json_array_foreach(json_object_get(detail, "reasons"), k, reason)
                paragraph(d, STYLE_BODY, LABEL_WIDTH + 8, json_string_value(reason));
        }
    }
}

static void decision_section(struct doc *d, const json_t *pack)
{
    const json_t *decision = NULL;
    size_t i;
    const json_t *entry;
    json_array_foreach(json_object_get(pack, "timeline"), i, entry)
        if (text_of(entry, "kind") != NULL && strcmp(text_of(entry, "kind"), "decision") == 0)
            decision = json_object_get(entry, "detail");
    const json_t *chargeback = json_object_get(pack, "chargeback");
    heading(d, "Decision");
    char version[32];
    snprintf(version, sizeof(version), "%lld", (long long)json_integer_value(json_object_get(decision, "policy_version")));
    labelled(d, "Tier", text_of(decision, "tier"));
    labelled(d, "Policy version", version);
    labelled(d, "Offered under policy", text_of(chargeback, "refund_policy_disclosure"));
    labelled(d, "Refusal explained", text_of(chargeback, "refund_refusal_explanation"));
    labelled(d, "Decision and outcomes", text_of(chargeback, "uncategorized_text"));
}

static void delivery_section(struct doc *d, const json_t *pack)
{
    const json_t *a_to_z = json_object_get(pack, "amazon_a_to_z");
    const json_t *proof = json_object_get(a_to_z, "proof_of_delivery");
    const json_t *ret = json_object_get(a_to_z, "return");
    heading(d, "Delivery and return");
    char delivered[32];
    utc_words(text_of(proof, "delivered_at"), delivered);
    labelled(d, "Dispatch method", text_of(a_to_z, "dispatch_method"));
    labelled(d, "Carrier", text_of(a_to_z, "carrier"));
    labelled(d, "Tracking number", text_of(a_to_z, "tracking_number"));
    labelled(d, "Shipped on", text_of(json_object_get(pack, "chargeback"), "shipping_date"));
    labelled(d, "Delivered", text_of(proof, "delivered_at") ? delivered : NULL);
    labelled(d, "Proof of delivery", text_of(proof, "delivery_confirmation"));
    labelled(d, "Shipped to", text_of(proof, "ship_to_country"));
    labelled(d, "Return offered", json_is_true(json_object_get(ret, "offered")) ? "yes" : "no");
    labelled(d, "Return eligible", json_is_true(json_object_get(ret, "eligible")) ? "yes" : "no");
    const char *description = text_of(json_object_get(pack, "chargeback"), "product_description");
    if (description != NULL) {
        heading(d, "What the listing promised");
        paragraph(d, STYLE_VERBATIM, 0, description);
    }
}

static void compliance_section(struct doc *d, const json_t *pack)
{
    const json_t *appeal = json_object_get(pack, "review_appeal");
    heading(d, "Seller messages and the marketplace's rules");
    const json_t *checks = json_object_get(appeal, "messages_compliance");
    if (json_array_size(checks) == 0)
        paragraph(d, STYLE_BODY, 0, "The seller sent no message on this case.");
    size_t i;
    const json_t *check;
    json_array_foreach(checks, i, check) {
        char at[32];
        utc_words(text_of(check, "at"), at);
        struct buf line;
        buf_init(&line, 0);
        if (json_is_true(json_object_get(check, "passed")))
            buf_append_str(&line, "passed the compliance check");
        else
            buf_append_str(&line, "flagged by the compliance check:");
        size_t k;
        const json_t *violation;
        json_array_foreach(json_object_get(check, "violations"), k, violation)
            buf_printf(&line, "%s %s", k == 0 ? "" : ",",
                       text_of(violation, "rule") ? text_of(violation, "rule") : "a rule");
        if (!buf_ok(&line))
            d->failed = true;
        labelled(d, at, line.data);
        buf_cleanup(&line);
    }
    paragraph(d, STYLE_STRONG, 0,
              json_is_true(json_object_get(appeal, "no_incentive_offered"))
                  ? "No incentive was offered for a review: every seller message passed the compliance check."
                  : "It cannot be shown that no incentive was offered: a seller message was flagged, or was not "
                    "checked.");
}

/* ---- the document ---- */

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

static void lay_out(struct doc *d, const json_t *pack)
{
    d->page = 0;
    room_for(d, 0);
    header_section(d, pack);
    timeline_section(d, pack);
    decision_section(d, pack);
    delivery_section(d, pack);
    compliance_section(d, pack);
}

/* PDF dates from RFC 3339 UTC: cairo takes "YYYY-MM-DDThh:mm:ssZ". */
bool evidence_pdf_render(const json_t *pack, struct buf *out)
{
    const json_t *kase = json_object_get(pack, "case");
    const char *generated_at = text_of(kase, "generated_at");
    if (!evidence_pdf_ready(NULL) || generated_at == NULL || text_of(kase, "case_id") == NULL)
        return false;
    PangoFontMap *font_map = pango_cairo_font_map_new();
    if (font_map == NULL)
        return false;
    /* Only our fonts: the machine's other fonts cannot change the document. */
    pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(font_map), font_config);
    struct doc d = { .context = pango_font_map_create_context(font_map),
                     .case_id = text_of(kase, "case_id"),
                     .order_id = text_of(kase, "order_id") ? text_of(kase, "order_id") : "",
                     .generated_at = generated_at };
    cairo_font_options_t *options = cairo_font_options_create();
    /* Metrics as designed, not snapped to a screen's pixels. */
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(d.context, options);
    cairo_font_options_destroy(options);
    for (int s = 0; s < STYLE_COUNT; s++)
        d.fonts[s] = pango_font_description_from_string(STYLES[s].font);

    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(to_buf, out, PAGE_WIDTH, PAGE_HEIGHT);
    cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5);
    char title[128];
    snprintf(title, sizeof(title), "Evidence pack, case %s", d.case_id);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, text_of(kase, "seller"));
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Redress");
    /* Fixed dates, from the record: the same pack gives the same bytes. */
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, generated_at);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, generated_at);
    cairo_t *cr = cairo_create(surface);
    /* One point per unit, as on the page; both passes measure alike. */
    pango_cairo_update_context(cr, d.context);
    pango_cairo_context_set_resolution(d.context, 72);
    lay_out(&d, pack); /* counting: d.cr is NULL */
    d.pages = d.page;
    d.cr = cr;
    lay_out(&d, pack); /* drawing */
    bool ok = !d.failed && d.page == d.pages && cairo_status(d.cr) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(d.cr);
    cairo_surface_finish(surface);
    ok = ok && cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS && buf_ok(out);
    cairo_surface_destroy(surface);
    for (int s = 0; s < STYLE_COUNT; s++)
        pango_font_description_free(d.fonts[s]);
    g_object_unref(d.context);
    g_object_unref(font_map);
    return ok;
}
