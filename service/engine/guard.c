/* Compliance guard: the marketplace's messaging rules, checked on every
 * generated reply and on agents' edits (POST /v1/replies/check).
 *
 * review_request  asking to write, change or remove a review or feedback
 *                 (a request verb near a review noun, in one clause), or
 *                 tying compensation to one (compensation + a condition
 *                 + a review noun, in one sentence); all eight languages
 * external_link   a URL or bare domain, except the marketplace's own
 * email_address, phone_number, html
 * coupon_marketing  coupon or discount language (Amazon only)
 * unchecked       text the guard cannot read in full: bytes that are not
 *                 UTF-8, more than ENG_GUARD_TEXT_MAX bytes, no memory
 *
 * Fail closed: every sentence is read to its end however long it is
 * (words pass through a sliding window, never into a fixed array), every
 * check runs in time linear in the text, and what cannot be checked is a
 * violation, never a pass. Rules match a folded copy of the text (below),
 * so full-width and ideographic forms ("help＠myshop.com。") are caught like
 * their ASCII twins. The case's own identifiers, named by the caller, are
 * not contact details (eng_guard_check_case). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* ---- word lists (lower case; stems match word starts) ---- */

static const char *const LATIN_REVIEW_NOUNS[] = {
    "feedback", "rating", "stars", "star-rating",                          /* en; "review" below */
    "bewertung", "rezension", "kundenbewertung", "sterne",                 /* de */
    "avis", "commentaire", "évaluation", "étoiles",                        /* fr */
    "reseña", "opinión", "valoración", "calificación", "estrellas",       /* es */
    "recensione", "recensioni", "valutazione", "stelle",                   /* it */
};

/* English "review" is a noun only after one of these. */
static const char *const EN_REVIEW_DETERMINERS[] = {
    "a", "an", "the", "your", "my", "our", "this", "that", "positive", "negative", "good", "bad",
    "honest", "product", "star", "5-star", "five-star", "1-star", "one-star", "glowing", "great",
    "favorable", "favourable", "customer", "nice", "new", "updated", "kind", "fair", "better"
};

/* Stems, so that inflections match: "updat" finds update, updating, updated. */
static const char *const LATIN_REQUEST_VERBS[] = {
    /* en */ "leav", "left", "writ", "wrote", "post", "giv", "gave", "updat", "chang", "revis", "edit",
    "amend", "remov", "delet", "withdr", "tak", "retract", "reconsider", "improv", "rais", "modif",
    "adjust", "submit", "shar", "rate",
    /* de */ "hinterl", "schreib", "abgeb", "geben", "änder", "lösch", "entfern", "zurückzieh", "anpass",
    "aktualisier", "überarbeit", "verfass", "poste", "teilen",
    /* fr */ "laiss", "écri", "rédig", "publi", "modifi", "chang", "supprim", "retir", "revoi", "donn",
    "partag",
    /* es */ "dej", "escrib", "public", "cambi", "modific", "elimin", "borr", "retir", "actualiz",
    "actualic", "compart", "quit",
    /* it */ "lasci", "scriv", "pubblic", "modific", "cambi", "rimuov", "elimin", "cancell", "ritir",
    "aggiorn", "condivid", "togli"
};

static const char *const CJK_REVIEW_NOUNS[] = {
    "レビュー", "評価", "フィードバック", "口コミ", "星5", "★",            /* ja (評価 also zh-Hant) */
    "评价", "评论", "好评", "差评", "反馈", "星级", "五星",                /* zh-Hans */
    "评分", "評價", "評論", "評分", "好評", "差評", "負評", "回饋", "反饋", "星級", /* zh-Hant */
};

static const char *const CJK_REQUEST_VERBS[] = {
    "書い", "書き", "投稿", "変更", "削除", "取り下げ", "修正", "更新", "残し", "消し", "見直", "付け",
    "写", "留下", "留个", "给", "修改", "删除", "撤销", "撤回", "更改", "追加", "发表",
    "寫", "給", "刪除", "撤銷", "發表"
};

static const char *const COMPENSATION_WORDS[] = {
    "refund", "compensat", "coupon", "discount", "gift", "free", "reimburs", "money back", "voucher",
    "erstattung", "gutschein", "rabatt", "entschädigung", "geschenk", "kostenlos", "gratis",
    "rembours", "réduction", "remise", "cadeau", "gratuit", "dédommage",
    "reembols", "cupón", "descuento", "regalo", "compensación",
    "rimbors", "buono", "sconto", "risarciment",
    "返金", "クーポン", "割引", "補償", "プレゼント", "無料", "ギフト",
    "退款", "补偿", "优惠", "折扣", "赠品", "礼物", "免费", "返现",
    "補償", "優惠", "贈品", "禮物", "免費", "返現"
};

static const char *const CONDITION_MARKERS[] = {
    "if you", "once you", "after you", "when you", "in exchange", "in return",
    "wenn sie", "falls sie", "sobald sie", "im gegenzug",
    "si vous", "une fois que vous", "en échange", "en contrepartie",
    "si usted", "si nos", "si nos deja", "una vez que", "a cambio",
    "se lei", "se ci", "una volta che", "in cambio",
    "たら", "いただければ", "代わりに", "引き換え",
    "如果", "只要", "若您", "作为交换", "换取", "之后", "作為交換", "換取", "之後"
};

static const char *const COUPON_WORDS[] = {
    "coupon", "discount code", "promo code", "promotional code", "voucher", "% off", "percent off",
    "off your next", "next purchase", "next order",
    "gutschein", "rabatt", "nächsten einkauf", "nächste bestellung",
    "code promo", "bon de réduction", "réduction", "prochain achat", "prochaine commande",
    "cupón", "código de descuento", "descuento", "próxima compra", "próximo pedido",
    "buono sconto", "codice sconto", "sconto", "prossimo acquisto", "prossimo ordine",
    "クーポン", "割引", "次回のお買い物", "次回購入",
    "优惠券", "优惠码", "折扣", "下次购买", "下次购物",
    "優惠券", "優惠碼", "下次購買", "下次購物"
};

static const char *const LINK_TLDS[] = {
    "com", "net", "org", "io", "co", "shop", "store", "info", "biz", "me", "ly", "link", "app",
    "de", "fr", "es", "it", "jp", "cn", "tw", "hk", "uk", "us", "eu", "ca", "au"
};


#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

const char *const ENG_VIOLATION_NAMES[VIOLATION_COUNT] = {
    [VIOLATION_UNCHECKED] = "unchecked",
    [VIOLATION_REVIEW_REQUEST] = "review_request",
    [VIOLATION_EXTERNAL_LINK] = "external_link",
    [VIOLATION_EMAIL_ADDRESS] = "email_address",
    [VIOLATION_PHONE_NUMBER] = "phone_number",
    [VIOLATION_HTML] = "html",
    [VIOLATION_COUPON_MARKETING] = "coupon_marketing",
};

/* ---- folding: one form of the text for every rule ----
 *
 * Lower case (ASCII and Latin-1 capitals); full-width ASCII (U+FF01-FF5E)
 * as ASCII; ideographic and typographic punctuation, Unicode spaces and
 * dashes as their ASCII counterparts; invisible characters dropped. So
 * "help＠myshop.com。" reads "help@myshop.com.", "ｗｗｗ．ｓｈｏｐ．ｃｏｍ" reads
 * "www.shop.com", and "“review”" is a word between quotes. No folding is
 * longer than what it replaces, so the folded text never outgrows the
 * original (fold() checks it anyway). Bytes that are not UTF-8 become a
 * space and are reported as `unchecked`. */

struct folded {
    char *text;     /* owned, NUL-terminated */
    size_t len;
    size_t bad_at;  /* offset in the original of the first byte that is not UTF-8; SIZE_MAX if none */
    bool overflow;  /* a folding did not fit (none is longer than its source; fail closed if one were) */
};

static void emit(struct folded *f, size_t capacity, const char *bytes, size_t n)
{
    if (f->len + n > capacity) {
        f->overflow = true;
        return;
    }
    memcpy(f->text + f->len, bytes, n);
    f->len += n;
}

/* Fold in[0..len) into f (f->text malloc'd; caller frees). False when out
 * of memory. */
static bool fold(const char *in, size_t len, struct folded *f)
{
    *f = (struct folded){ .text = malloc(len + 1), .bad_at = SIZE_MAX };
    if (f->text == NULL)
        return false;
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = eng_utf8_char(s + i, len - i, &cp);
        if (n == 0) {
            if (f->bad_at == SIZE_MAX)
                f->bad_at = i;
            emit(f, len, " ", 1);
            i++;
            continue;
        }
        char folded[ENG_FOLD_MAX];
        int k = eng_fold_char(cp, folded);
        if (k >= 0)
            emit(f, len, folded, (size_t)k);
        else
            emit(f, len, in + i, n);
        i += n;
    }
    f->text[f->len] = '\0';
    return true;
}

/* ---- word lists indexed by first byte ----
 * Each list is searched in one pass over the text, comparing only the
 * words that start with the byte at hand. Built once, read-only after. */

enum { MAX_NEEDLES = 64 };
_Static_assert(MAX_NEEDLES <= UINT8_MAX + 1, "needle_set.order holds word indexes in a byte");

struct needle_set {
    const char *const *words;
    uint16_t start[257];          /* words with first byte b: order[start[b] .. start[b+1]) */
    uint8_t order[MAX_NEEDLES];
    size_t lens[MAX_NEEDLES];
};

/* n ≤ MAX_NEEDLES: NEEDLE_SET_BUILD checks it when compiling. */
static void needle_set_build(struct needle_set *set, const char *const *words, size_t n)
{
    memset(set, 0, sizeof(*set));
    set->words = words;
    uint16_t count[257] = { 0 };
    for (size_t i = 0; i < n; i++)
        count[(unsigned char)words[i][0] + 1]++;
    for (int b = 0; b < 256; b++)
        count[b + 1] += count[b];
    memcpy(set->start, count, sizeof(count));
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)words[i][0];
        set->order[count[b]++] = (uint8_t)i;
        set->lens[i] = strlen(words[i]);
    }
}

#define NEEDLE_SET_BUILD(set, list)                                                                       \
    do {                                                                                                  \
        _Static_assert(COUNT(list) <= MAX_NEEDLES, #list " holds more words than a needle set (MAX_NEEDLES)"); \
        needle_set_build(&(set), (list), COUNT(list));                                                    \
    } while (0)

/* The first place in s[0..len) where a word of the set starts, or NULL;
 * *which (if not NULL) gets that word's index. */
static const char *needle_find(const struct needle_set *set, const char *s, size_t len, int *which)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        for (uint16_t k = set->start[b]; k < set->start[b + 1]; k++) {
            int w = set->order[k];
            if (set->lens[w] <= len - i && memcmp(s + i, set->words[w], set->lens[w]) == 0) {
                if (which != NULL)
                    *which = w;
                return s + i;
            }
        }
    }
    return NULL;
}

/* After folding, the full-width and ideographic commas, semicolons and
 * colons (，；：、) are these. */
static const char *const CLAUSE_BREAKS[] = { ",", ";", ":" };

static struct needle_set latin_nouns, cjk_nouns, cjk_verbs, compensation, conditions, coupons, breaks;
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;
static bool lists_folded; /* every word list is already in folded form, so it can match */

static bool list_folded(const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct folded f;
        size_t len = strlen(list[i]);
        if (!fold(list[i], len, &f))
            return false;
        bool same = f.len == len && memcmp(f.text, list[i], len) == 0;
        free(f.text);
        if (!same)
            return false;
    }
    return true;
}

static void build_sets(void)
{
    NEEDLE_SET_BUILD(latin_nouns, LATIN_REVIEW_NOUNS);
    NEEDLE_SET_BUILD(cjk_nouns, CJK_REVIEW_NOUNS);
    NEEDLE_SET_BUILD(cjk_verbs, CJK_REQUEST_VERBS);
    NEEDLE_SET_BUILD(compensation, COMPENSATION_WORDS);
    NEEDLE_SET_BUILD(conditions, CONDITION_MARKERS);
    NEEDLE_SET_BUILD(coupons, COUPON_WORDS);
    NEEDLE_SET_BUILD(breaks, CLAUSE_BREAKS);
    /* A word that folding would change can never match: the guard refuses
     * to pass anything until the list is fixed (every check is then
     * `unchecked`, which the tests see at once). */
    lists_folded = list_folded(LATIN_REVIEW_NOUNS, COUNT(LATIN_REVIEW_NOUNS))
                   && list_folded(EN_REVIEW_DETERMINERS, COUNT(EN_REVIEW_DETERMINERS))
                   && list_folded(LATIN_REQUEST_VERBS, COUNT(LATIN_REQUEST_VERBS))
                   && list_folded(CJK_REVIEW_NOUNS, COUNT(CJK_REVIEW_NOUNS))
                   && list_folded(CJK_REQUEST_VERBS, COUNT(CJK_REQUEST_VERBS))
                   && list_folded(COMPENSATION_WORDS, COUNT(COMPENSATION_WORDS))
                   && list_folded(CONDITION_MARKERS, COUNT(CONDITION_MARKERS))
                   && list_folded(COUPON_WORDS, COUNT(COUPON_WORDS))
                   && list_folded(LINK_TLDS, COUNT(LINK_TLDS))
                   && list_folded(CLAUSE_BREAKS, COUNT(CLAUSE_BREAKS));
}

/* ---- text helpers ---- */

static bool is_word_byte(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch >= 0x80 || ch == '-';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || is_digit(c); }

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return n <= len && memcmp(s, prefix, n) == 0;
}

static bool in_list(const char *word, size_t len, const char *const *list, size_t n_list, bool prefix)
{
    for (size_t i = 0; i < n_list; i++) {
        size_t n = strlen(list[i]);
        if (prefix ? starts_with(word, len, list[i]) : (n == len && memcmp(word, list[i], n) == 0))
            return true;
    }
    return false;
}

static bool clause_break(const char *s, size_t len)
{
    return needle_find(&breaks, s, len, NULL) != NULL;
}

/* ---- the text under check ---- */

struct scan {
    const char *t;                  /* folded text */
    size_t len;
    const struct folded *own_ids;   /* the case's identifiers, folded */
    size_t n_own_ids;
    struct eng_guard_result *out;
};

/* ---- violations ---- */

/* what, then (unless at is NULL) a quote of up to 48 bytes from at. */
static void add_violation(struct eng_guard_result *out, enum eng_violation code, const char *what,
                          const char *at, const char *end)
{
    const char *name = ENG_VIOLATION_NAMES[code];
    out->passed = false;
    for (int i = 0; i < out->n_violations; i++)
        if (out->violations[i].code == name)
            return; /* one of each code is enough to act on */
    /* VIOLATION_COUNT ≤ ENG_MAX_VIOLATIONS (engine.h), so one of each fits */
    struct eng_signal *v = &out->violations[out->n_violations++];
    v->code = name;
    if (at == NULL) {
        snprintf(v->detail, sizeof(v->detail), "%s", what);
        return;
    }
    /* cut on a character boundary (the folded text is valid UTF-8) */
    size_t n = (size_t)(end - at);
    if (n > 48) {
        n = 48;
        while (n > 0 && ((unsigned char)at[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(v->detail, sizeof(v->detail), "%s: \"%.*s\"", what, (int)n, at);
}

/* Whether t[a..b) lies inside an occurrence of one of the case's own
 * identifiers that stands as a whole token (no letter or digit touching
 * it on either side). */
static bool own_identifier(const struct scan *s, size_t a, size_t b)
{
    for (size_t k = 0; k < s->n_own_ids; k++) {
        size_t n = s->own_ids[k].len;
        if (n == 0 || n < b - a || n > s->len)
            continue;
        /* occurrences starting at o with o ≤ a and o + n ≥ b */
        for (size_t o = b >= n ? b - n : 0; o <= a && o + n <= s->len; o++) {
            if (memcmp(s->t + o, s->own_ids[k].text, n) != 0)
                continue;
            if ((o == 0 || !is_ascii_alnum(s->t[o - 1])) && (o + n == s->len || !is_ascii_alnum(s->t[o + n])))
                return true;
        }
    }
    return false;
}

/* ---- review requests ---- */

struct word {
    const char *start;
    size_t len;
};

enum { VERB_WINDOW_BEFORE = 4, VERB_WINDOW_AFTER = 2, CJK_WINDOW = 24 };

/* Words are read through a sliding window, however long the sentence:
 * the ring holds the words a noun is judged by (the few before it, for
 * verbs and its determiner, and the few after). */
enum { WORD_RING = 8 };
_Static_assert(WORD_RING > VERB_WINDOW_BEFORE + VERB_WINDOW_AFTER, "a noun's whole window fits in the ring");

struct word_ring {
    struct word words[WORD_RING];
    size_t n; /* words read so far; word i is words[i % WORD_RING] while i + WORD_RING > n */
};

static const struct word *ring_word(const struct word_ring *r, size_t i)
{
    return &r->words[i % WORD_RING];
}

static bool latin_noun(const struct word_ring *r, size_t i)
{
    const struct word *w = ring_word(r, i), *before = i > 0 ? ring_word(r, i - 1) : NULL;
    /* French "changement d'avis" is a change of mind, not a review. */
    if (w->len == 4 && memcmp(w->start, "avis", 4) == 0 && before != NULL && before->len == 1
        && before->start[0] == 'd')
        return false;
    if (in_list(w->start, w->len, LATIN_REVIEW_NOUNS, COUNT(LATIN_REVIEW_NOUNS), true))
        return true;
    if ((w->len == 6 && memcmp(w->start, "review", 6) == 0) || (w->len == 7 && memcmp(w->start, "reviews", 7) == 0))
        return before != NULL
               && in_list(before->start, before->len, EN_REVIEW_DETERMINERS, COUNT(EN_REVIEW_DETERMINERS), false);
    return false;
}

/* If word i is a review noun with a request verb near it in the same
 * clause, where the request starts; words up to r->n - 1 are read. */
static const char *request_around(const struct word_ring *r, size_t i)
{
    if (!latin_noun(r, i))
        return NULL;
    size_t from = i > VERB_WINDOW_BEFORE ? i - VERB_WINDOW_BEFORE : 0;
    size_t to = i + VERB_WINDOW_AFTER < r->n ? i + VERB_WINDOW_AFTER : r->n - 1;
    for (size_t j = from; j <= to; j++) {
        const struct word *verb = ring_word(r, j);
        if (j == i || !in_list(verb->start, verb->len, LATIN_REQUEST_VERBS, COUNT(LATIN_REQUEST_VERBS), true))
            continue;
        const struct word *a = ring_word(r, j < i ? j : i), *b = ring_word(r, j < i ? i : j);
        if (!clause_break(a->start, (size_t)(b->start - a->start)))
            return a->start;
    }
    return NULL;
}

/* A request verb within a few words of a review noun, in the same clause. */
static const char *latin_review_request(const char *s, size_t len)
{
    struct word_ring r = { .n = 0 };
    const char *at = NULL;
    for (size_t i = 0; i < len && at == NULL;) {
        while (i < len && !is_word_byte((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < len && is_word_byte((unsigned char)s[i]))
            i++;
        if (i == start)
            continue;
        r.words[r.n % WORD_RING] = (struct word){ s + start, i - start };
        r.n++;
        if (r.n > VERB_WINDOW_AFTER) /* the noun whose window just filled */
            at = request_around(&r, r.n - 1 - VERB_WINDOW_AFTER);
    }
    /* the last nouns, with fewer words after them */
    for (size_t i = r.n > VERB_WINDOW_AFTER ? r.n - VERB_WINDOW_AFTER : 0; i < r.n && at == NULL; i++)
        at = request_around(&r, i);
    return at;
}

static const char *cjk_review_request(const char *s, size_t len)
{
    const char *end = s + len;
    int noun;
    for (const char *at = needle_find(&cjk_nouns, s, len, &noun); at != NULL;
         at = needle_find(&cjk_nouns, at + 1, (size_t)(end - at - 1), &noun)) {
        size_t noun_len = strlen(CJK_REVIEW_NOUNS[noun]);
        const char *from = at - s > CJK_WINDOW ? at - CJK_WINDOW : s;
        const char *to = end - (at + noun_len) > CJK_WINDOW ? at + noun_len + CJK_WINDOW : end;
        /* every verb in the window, nearest clause first */
        for (const char *verb = needle_find(&cjk_verbs, from, (size_t)(to - from), NULL); verb != NULL;
             verb = needle_find(&cjk_verbs, verb + 1, (size_t)(to - verb - 1), NULL)) {
            const char *a = verb < at ? verb : at, *b = verb < at ? at : verb;
            if (!clause_break(a, (size_t)(b - a)))
                return a;
        }
        if (at + 1 >= end)
            break;
    }
    return NULL;
}

static bool any_review_noun(const char *s, size_t len)
{
    if (needle_find(&cjk_nouns, s, len, NULL) != NULL || needle_find(&latin_nouns, s, len, NULL) != NULL)
        return true;
    const char *at = memmem(s, len, "review", 6);
    return at != NULL && (at == s || !is_word_byte((unsigned char)at[-1]));
}

static void check_sentence(const char *s, size_t len, struct eng_guard_result *out)
{
    const char *at = latin_review_request(s, len);
    if (at == NULL)
        at = cjk_review_request(s, len);
    if (at != NULL) {
        add_violation(out, VIOLATION_REVIEW_REQUEST,
                      "asks for a review or feedback to be written, changed or removed", at, s + len);
        return;
    }
    if (any_review_noun(s, len) && needle_find(&compensation, s, len, NULL) != NULL
        && needle_find(&conditions, s, len, NULL) != NULL)
        add_violation(out, VIOLATION_REVIEW_REQUEST, "ties compensation to a review or feedback", s, s + len);
}

/* Sentences end at a line end, and at . ! ? before a space, the end, or a
 * character that is not ASCII (。！？ fold to . ! ? and CJK runs on). */
static void check_sentences(const struct scan *s)
{
    const char *t = s->t, *start = t, *end = t + s->len;
    for (const char *p = t; p < end; p++) {
        bool mark = *p == '\n'
                    || ((*p == '.' || *p == '!' || *p == '?')
                        && (p + 1 == end || p[1] == ' ' || (unsigned char)p[1] >= 0x80));
        if (!mark)
            continue;
        if (p > start)
            check_sentence(start, (size_t)(p - start), s->out);
        start = p + 1;
    }
    if (end > start)
        check_sentence(start, (size_t)(end - start), s->out);
}

/* ---- links, addresses, numbers, markup ---- */

static size_t letters(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && *q >= 'a' && *q <= 'z')
        q++;
    return (size_t)(q - p);
}

/* The marketplace's own: amazon.<2-3 letters>, or amazon.<2-3 letters>.<2
 * letters> (amazon.de, amazon.co.uk, amazon.com.au), alone or under a
 * subdomain, then nothing but a trailing dot or a port; not
 * amazon.evil.com, not myamazon.com, not amazon.de@evil.com. */
static bool marketplace_host(const char *host, size_t len)
{
    const char *end = host + len;
    const char *colon = memchr(host, ':', len);
    if (colon != NULL) {
        for (const char *p = colon + 1; p < end; p++)
            if (!is_digit(*p))
                return false;
        end = colon;
    }
    while (end > host && end[-1] == '.')
        end--;
    len = (size_t)(end - host);
    for (const char *at = memmem(host, len, "amazon.", 7); at != NULL;
         at = memmem(at + 1, len - (size_t)(at + 1 - host), "amazon.", 7)) {
        if (at > host && at[-1] != '.')
            continue;
        const char *p = at + 7;
        size_t first = letters(p, end);
        if (first < 2 || first > 3)
            continue;
        p += first;
        if (p == end)
            return true;
        if (*p == '.' && letters(p + 1, end) == 2 && p + 3 == end)
            return true;
    }
    return false;
}

/* Bytes a bare domain is made of (ASCII only: the quote starts there). */
static bool host_byte(char c)
{
    return (unsigned char)c < 0x80 && (is_word_byte((unsigned char)c) || c == '.');
}

static void check_links(const struct scan *s)
{
    const char *t = s->t;
    size_t len = s->len, run = 0; /* t[run..i): the ASCII host bytes just before i */
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && !host_byte(t[i - 1]))
            run = i;
        const char *p = t + i;
        size_t rest = len - i;
        if (starts_with(p, rest, "http://") || starts_with(p, rest, "https://") || starts_with(p, rest, "www.")) {
            const char *host = p + (p[0] == 'w' ? 0 : (p[4] == 's' ? 8 : 7));
            size_t host_len = strcspn(host, " /?#\n\t)\"'<>,");
            size_t host_end = (size_t)(host - t) + host_len;
            if (!marketplace_host(host, host_len) && !own_identifier(s, i, host_end))
                add_violation(s->out, VIOLATION_EXTERNAL_LINK, "contains a link", p, t + host_end);
            i = host_end; /* a terminator (not a host byte) or the end */
            continue;
        }
        /* bare domain: word "." tld, then not a letter */
        if (*p != '.' || i == 0 || !is_word_byte((unsigned char)t[i - 1]) || t[i - 1] == '-')
            continue;
        for (size_t k = 0; k < COUNT(LINK_TLDS); k++) {
            size_t n = strlen(LINK_TLDS[k]);
            if (rest > n && starts_with(p + 1, rest - 1, LINK_TLDS[k])
                && (i + 1 + n >= len || !is_word_byte((unsigned char)t[i + 1 + n]))) {
                size_t start = run, end = i + 1 + n;
                bool in_email = start > 0 && t[start - 1] == '@'; /* reported as an address */
                if (start < i && !in_email && !marketplace_host(t + start, end - start) && !is_digit(t[i - 1])
                    && !own_identifier(s, start, end))
                    add_violation(s->out, VIOLATION_EXTERNAL_LINK, "contains a web address", t + start, t + end);
                break;
            }
        }
    }
}

static void check_email(const struct scan *s)
{
    const char *t = s->t;
    size_t len = s->len;
    for (const char *at = memchr(t, '@', len); at != NULL; at = memchr(at + 1, '@', len - (size_t)(at + 1 - t))) {
        const char *start = at, *end = at + 1;
        while (start > t && (is_word_byte((unsigned char)start[-1]) || start[-1] == '.' || start[-1] == '_'
                             || start[-1] == '+') && (unsigned char)start[-1] < 0x80)
            start--;
        while (end < t + len && (is_word_byte((unsigned char)*end) || *end == '.') && (unsigned char)*end < 0x80)
            end++;
        while (end > at + 1 && (end[-1] == '.' || end[-1] == '-'))
            end--; /* the full stop after an address is not part of it */
        if (start < at && memchr(at + 1, '.', (size_t)(end - at - 1)) != NULL
            && !own_identifier(s, (size_t)(start - t), (size_t)(end - t)))
            add_violation(s->out, VIOLATION_EMAIL_ADDRESS, "contains an e-mail address", start, end);
        if (at + 1 >= t + len)
            break;
    }
}

/* Thousands grouping ("84.600.869", "1 234 567"): money, not a phone. */
static bool grouped_like_money(const char *run, size_t len)
{
    char separator = 0;
    size_t group = 0, groups = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && is_digit(run[i])) {
            group++;
            continue;
        }
        if (groups == 0 ? (group < 1 || group > 3) : group != 3)
            return false;
        groups++;
        group = 0;
        if (i < len) {
            if (separator != 0 && run[i] != separator)
                return false;
            if (run[i] != '.' && run[i] != ' ')
                return false;
            separator = run[i];
        }
    }
    return groups > 1;
}

/* 8-15 digits in a run of digits, spaces, + - . ( ), shaped like a phone
 * number: not a date (2026-11-05), not an Amazon order id (3-7-7), not
 * an amount with grouped thousands, not one of the case's own ids. */
static void check_phone(const struct scan *s)
{
    const char *t = s->t;
    size_t len = s->len, i = 0;
    while (i < len) {
        if (!(is_digit(t[i]) || t[i] == '+' || t[i] == '(')) {
            i++;
            continue;
        }
        size_t start = i, digits = 0, separators = 0, last_digit = i;
        bool plus = t[i] == '+';
        while (i < len && (is_digit(t[i]) || t[i] == ' ' || t[i] == '-' || t[i] == '.' || t[i] == '('
                           || t[i] == ')' || (t[i] == '+' && i == start))) {
            if (is_digit(t[i])) {
                digits++;
                last_digit = i;
            } else if (t[i] != '+') {
                separators++;
            }
            if (t[i] == ' ' && i + 1 < len && t[i + 1] == ' ')
                break;
            i++;
        }
        size_t run = last_digit + 1 - start;
        bool date = run == 10 && t[start + 4] == '-' && t[start + 7] == '-';
        bool order_id = run == 19 && t[start + 3] == '-' && t[start + 11] == '-';
        bool shaped = plus || separators > 0 || digits >= 10;
        bool after_word = start > 0 && (is_word_byte((unsigned char)t[start - 1]) && !is_digit(t[start - 1]))
                          && (unsigned char)t[start - 1] < 0x80;
        size_t first_digit = start;
        while (first_digit < last_digit && !is_digit(t[first_digit]))
            first_digit++;
        bool money = grouped_like_money(t + first_digit, last_digit + 1 - first_digit);
        if (digits >= 8 && digits <= 15 && shaped && !date && !order_id && !after_word && !money
            && !own_identifier(s, plus ? start : first_digit, last_digit + 1))
            add_violation(s->out, VIOLATION_PHONE_NUMBER, "contains a phone number", t + start, t + last_digit + 1);
        if (i == start)
            i++;
    }
}

static void check_html(const struct scan *s)
{
    const char *t = s->t;
    size_t len = s->len;
    bool no_close = false; /* no '>' after here: no tag can end (keeps this linear) */
    for (size_t i = 0; i + 1 < len; i++) {
        char next = t[i + 1];
        if (!no_close && t[i] == '<' && ((next >= 'a' && next <= 'z') || next == '/' || next == '!')) {
            const char *close = memchr(t + i, '>', len - i);
            if (close != NULL) {
                add_violation(s->out, VIOLATION_HTML, "contains HTML markup", t + i, close + 1);
                return;
            }
            no_close = true;
        }
        if (t[i] == '&') {
            size_t j = i + 1;
            if (j < len && t[j] == '#')
                j++;
            size_t name = j;
            while (j < len && j - name < 8 && ((t[j] >= 'a' && t[j] <= 'z') || is_digit(t[j])))
                j++;
            if (j < len && t[j] == ';' && j - name >= 2) {
                add_violation(s->out, VIOLATION_HTML, "contains an HTML entity", t + i, t + j + 1);
                return;
            }
        }
    }
}

void eng_guard_check(enum eng_channel channel, const char *text, struct eng_guard_result *out)
{
    eng_guard_check_case(channel, text, NULL, 0, out);
}

void eng_guard_check_case(enum eng_channel channel, const char *text, const char *const *own_ids, size_t n_own_ids,
                          struct eng_guard_result *out)
{
    pthread_once(&sets_once, build_sets);
    memset(out, 0, sizeof(*out));
    out->passed = true;
    if (own_ids == NULL)
        n_own_ids = 0;
    if (text == NULL) {
        add_violation(out, VIOLATION_UNCHECKED, "there is no text to check", NULL, NULL);
        return;
    }
    if (!lists_folded) {
        add_violation(out, VIOLATION_UNCHECKED, "the guard's word lists are not in folded form", NULL, NULL);
        return;
    }
    size_t len = strlen(text);
    if (len > ENG_GUARD_TEXT_MAX) {
        char why[ENG_DETAIL_MAX];
        snprintf(why, sizeof(why), "the text is longer than the guard reads (%zu bytes, at most %d)", len,
                 (int)ENG_GUARD_TEXT_MAX);
        add_violation(out, VIOLATION_UNCHECKED, why, NULL, NULL);
        return;
    }
    struct folded body;
    struct folded *ids = n_own_ids > 0 ? calloc(n_own_ids, sizeof(*ids)) : NULL;
    size_t n_ids = 0;
    bool ok = fold(text, len, &body) && (n_own_ids == 0 || ids != NULL);
    for (size_t k = 0; ok && k < n_own_ids; k++)
        if (own_ids[k] != NULL && own_ids[k][0] != '\0')
            ok = fold(own_ids[k], strlen(own_ids[k]), &ids[n_ids++]);
    if (!ok) {
        add_violation(out, VIOLATION_UNCHECKED, "the text could not be checked (out of memory)", NULL, NULL);
    } else {
        if (body.bad_at != SIZE_MAX) {
            char why[ENG_DETAIL_MAX];
            snprintf(why, sizeof(why), "the text is not valid UTF-8 (byte %zu), so it cannot be read as written",
                     body.bad_at);
            add_violation(out, VIOLATION_UNCHECKED, why, NULL, NULL);
        }
        if (body.overflow)
            add_violation(out, VIOLATION_UNCHECKED, "the text could not be folded for checking", NULL, NULL);
        /* what can be read is checked all the same */
        struct scan s = { body.text, body.len, ids, n_ids, out };
        check_sentences(&s);
        check_links(&s);
        check_email(&s);
        check_phone(&s);
        check_html(&s);
        if (channel == CHANNEL_AMAZON) {
            const char *at = needle_find(&coupons, s.t, s.len, NULL);
            if (at != NULL)
                add_violation(out, VIOLATION_COUPON_MARKETING,
                              "offers a coupon or discount, which Amazon counts as marketing", at, s.t + s.len);
        }
    }
    for (size_t k = 0; k < n_ids; k++)
        free(ids[k].text);
    free(ids);
    free(body.text); /* details hold copies of their quotes */
}
