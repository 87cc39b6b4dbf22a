/* Compliance guard: the marketplace's messaging rules, checked on every
 * generated reply and on agents' edits (POST /v1/replies/check).
 *
 * review_request  asking to write, change or remove a review or feedback
 *                 (a request verb near a review noun, in one clause), or
 *                 tying compensation to one (compensation + a condition
 *                 + a review noun, in one sentence); all eight languages
 * external_link   a URL or bare domain, except the marketplace's own
 * email_address, phone_number, html
 * coupon_marketing  coupon or discount language (Amazon only) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- word lists (lower case; stems match word starts) ---- */

static const char *const LATIN_REVIEW_NOUNS[] = {
    "feedback", "rating", "stars", "star-rating",                          /* en; "review" below */
    "bewertung", "rezension", "kundenbewertung", "sterne",                 /* de */
    "avis", "commentaire", "évaluation", "étoiles",                        /* fr */
    "reseña", "opinión", "valoración", "calificación", "estrellas",       /* es */
    "recensione", "recensioni", "valutazione", "stelle",                   /* it */
    NULL
};

/* English "review" is a noun only after one of these. */
static const char *const EN_REVIEW_DETERMINERS[] = {
    "a", "an", "the", "your", "my", "our", "this", "that", "positive", "negative", "good", "bad",
    "honest", "product", "star", "5-star", "five-star", "1-star", "one-star", "glowing", "great",
    "favorable", "favourable", "customer", "nice", "new", "updated", "kind", "fair", "better", NULL
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
    "aggiorn", "condivid", "togli",
    NULL
};

static const char *const CJK_REVIEW_NOUNS[] = {
    "レビュー", "評価", "フィードバック", "口コミ", "星5", "★",            /* ja (評価 also zh-Hant) */
    "评价", "评论", "好评", "差评", "反馈", "星级", "五星",                /* zh-Hans */
    "评分", "評價", "評論", "評分", "好評", "差評", "負評", "回饋", "反饋", "星級", /* zh-Hant */
    NULL
};

static const char *const CJK_REQUEST_VERBS[] = {
    "書い", "書き", "投稿", "変更", "削除", "取り下げ", "修正", "更新", "残し", "消し", "見直", "付け",
    "写", "留下", "留个", "给", "修改", "删除", "撤销", "撤回", "更改", "追加", "发表",
    "寫", "給", "刪除", "撤銷", "發表",
    NULL
};

static const char *const COMPENSATION_WORDS[] = {
    "refund", "compensat", "coupon", "discount", "gift", "free", "reimburs", "money back", "voucher",
    "erstattung", "gutschein", "rabatt", "entschädigung", "geschenk", "kostenlos", "gratis",
    "rembours", "réduction", "remise", "cadeau", "gratuit", "dédommage",
    "reembols", "cupón", "descuento", "regalo", "compensación",
    "rimbors", "buono", "sconto", "risarciment",
    "返金", "クーポン", "割引", "補償", "プレゼント", "無料", "ギフト",
    "退款", "补偿", "优惠", "折扣", "赠品", "礼物", "免费", "返现",
    "補償", "優惠", "贈品", "禮物", "免費", "返現",
    NULL
};

static const char *const CONDITION_MARKERS[] = {
    "if you", "once you", "after you", "when you", "in exchange", "in return",
    "wenn sie", "falls sie", "sobald sie", "im gegenzug",
    "si vous", "une fois que vous", "en échange", "en contrepartie",
    "si usted", "si nos", "si nos deja", "una vez que", "a cambio",
    "se lei", "se ci", "una volta che", "in cambio",
    "たら", "いただければ", "代わりに", "引き換え",
    "如果", "只要", "若您", "作为交换", "换取", "之后", "作為交換", "換取", "之後",
    NULL
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
    "優惠券", "優惠碼", "下次購買", "下次購物",
    NULL
};

static const char *const LINK_TLDS[] = {
    "com", "net", "org", "io", "co", "shop", "store", "info", "biz", "me", "ly", "link", "app",
    "de", "fr", "es", "it", "jp", "cn", "tw", "hk", "uk", "us", "eu", "ca", "au", NULL
};

/* ---- word lists indexed by first byte ----
 * Each list is searched in one pass over the text, comparing only the
 * words that start with the byte at hand. Built once, read-only after. */

enum { MAX_NEEDLES = 64 };

struct needle_set {
    const char *const *words;
    uint16_t start[257];          /* words with first byte b: order[start[b] .. start[b+1]) */
    uint8_t order[MAX_NEEDLES];
    uint8_t lens[MAX_NEEDLES];
};

static void needle_set_build(struct needle_set *set, const char *const *words)
{
    memset(set, 0, sizeof(*set));
    set->words = words;
    uint16_t count[257] = { 0 };
    size_t n = 0;
    while (words[n] != NULL && n < MAX_NEEDLES)
        n++;
    for (size_t i = 0; i < n; i++)
        count[(unsigned char)words[i][0] + 1]++;
    for (int b = 0; b < 256; b++)
        count[b + 1] += count[b];
    memcpy(set->start, count, sizeof(count));
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)words[i][0];
        set->order[count[b]++] = (uint8_t)i;
        set->lens[i] = (uint8_t)strlen(words[i]);
    }
}

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

static const char *const CLAUSE_BREAKS[] = { ",", ";", ":", "、", "，", "；", "：", NULL };

static struct needle_set latin_nouns, cjk_nouns, cjk_verbs, compensation, conditions, coupons, breaks;
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;

static void build_sets(void)
{
    needle_set_build(&latin_nouns, LATIN_REVIEW_NOUNS);
    needle_set_build(&cjk_nouns, CJK_REVIEW_NOUNS);
    needle_set_build(&cjk_verbs, CJK_REQUEST_VERBS);
    needle_set_build(&compensation, COMPENSATION_WORDS);
    needle_set_build(&conditions, CONDITION_MARKERS);
    needle_set_build(&coupons, COUPON_WORDS);
    needle_set_build(&breaks, CLAUSE_BREAKS);
}

/* ---- text helpers ---- */

/* Lower-case ASCII and the Latin-1 capitals (UTF-8 C3 80..9E, not ×). */
static void fold_case(const char *in, char *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch >= 'A' && ch <= 'Z') {
            out[i] = (char)(ch + 32);
        } else if (ch == 0xC3 && i + 1 < len && (unsigned char)in[i + 1] >= 0x80
                   && (unsigned char)in[i + 1] <= 0x9E && (unsigned char)in[i + 1] != 0x97) {
            out[i] = (char)ch;
            out[i + 1] = (char)((unsigned char)in[i + 1] + 0x20);
            i++;
        } else {
            out[i] = (char)ch;
        }
    }
    out[len] = '\0';
}

static bool is_word_byte(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch >= 0x80 || ch == '-';
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return n <= len && memcmp(s, prefix, n) == 0;
}

static bool in_list(const char *word, size_t len, const char *const *list, bool prefix)
{
    for (size_t i = 0; list[i]; i++) {
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

/* ---- violations ---- */

static void add_violation(struct eng_guard_result *out, const char *code, const char *what,
                          const char *at, const char *end)
{
    for (int i = 0; i < out->n_violations; i++)
        if (strcmp(out->violations[i].code, code) == 0)
            return; /* one of each code is enough to act on */
    out->passed = false;
    if (out->n_violations == ENG_MAX_VIOLATIONS)
        return;
    struct eng_signal *v = &out->violations[out->n_violations++];
    v->code = code;
    /* quote up to 48 bytes, cut on a character boundary */
    size_t n = (size_t)(end - at);
    if (n > 48) {
        n = 48;
        while (n > 0 && ((unsigned char)at[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(v->detail, sizeof(v->detail), "%s: \"%.*s\"", what, (int)n, at);
}

/* ---- review requests ---- */

struct word {
    const char *start;
    size_t len;
};

enum { MAX_WORDS = 256, VERB_WINDOW_BEFORE = 4, VERB_WINDOW_AFTER = 2, CJK_WINDOW = 24 };

static bool latin_noun(const struct word *words, int i)
{
    const struct word *w = &words[i];
    /* French "changement d'avis" is a change of mind, not a review. */
    if (w->len == 4 && memcmp(w->start, "avis", 4) == 0 && i > 0 && words[i - 1].len == 1
        && words[i - 1].start[0] == 'd')
        return false;
    if (in_list(w->start, w->len, LATIN_REVIEW_NOUNS, true))
        return true;
    if ((w->len == 6 && memcmp(w->start, "review", 6) == 0) || (w->len == 7 && memcmp(w->start, "reviews", 7) == 0))
        return i > 0 && in_list(words[i - 1].start, words[i - 1].len, EN_REVIEW_DETERMINERS, false);
    return false;
}

/* A request verb within a few words of a review noun, in the same clause. */
static const char *latin_review_request(const char *s, size_t len)
{
    struct word words[MAX_WORDS];
    int n = 0;
    for (size_t i = 0; i < len && n < MAX_WORDS;) {
        while (i < len && !is_word_byte((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < len && is_word_byte((unsigned char)s[i]))
            i++;
        if (i > start)
            words[n++] = (struct word){ s + start, i - start };
    }
    for (int i = 0; i < n; i++) {
        if (!latin_noun(words, i))
            continue;
        for (int j = i - VERB_WINDOW_BEFORE; j <= i + VERB_WINDOW_AFTER; j++) {
            if (j < 0 || j >= n || j == i || !in_list(words[j].start, words[j].len, LATIN_REQUEST_VERBS, true))
                continue;
            const struct word *a = &words[j < i ? j : i], *b = &words[j < i ? i : j];
            if (!clause_break(a->start, (size_t)(b->start - a->start)))
                return words[j < i ? j : i].start;
        }
    }
    return NULL;
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
        add_violation(out, "review_request", "asks for a review or feedback to be written, changed or removed",
                      at, s + len);
        return;
    }
    if (any_review_noun(s, len) && needle_find(&compensation, s, len, NULL) != NULL
        && needle_find(&conditions, s, len, NULL) != NULL)
        add_violation(out, "review_request", "ties compensation to a review or feedback", s, s + len);
}

/* ---- links, addresses, numbers, markup ---- */

static bool marketplace_host(const char *host, size_t len)
{
    return memmem(host, len, "amazon.", 7) != NULL;
}

static void check_links(const char *t, size_t len, struct eng_guard_result *out)
{
    for (size_t i = 0; i < len; i++) {
        const char *p = t + i;
        size_t rest = len - i;
        if (starts_with(p, rest, "http://") || starts_with(p, rest, "https://") || starts_with(p, rest, "www.")) {
            const char *host = p + (p[0] == 'w' ? 0 : (p[4] == 's' ? 8 : 7));
            size_t host_len = strcspn(host, " /\n\t)\"'");
            if (!marketplace_host(host, host_len))
                add_violation(out, "external_link", "contains a link", p, host + host_len);
            i += (size_t)(host - p) + host_len;
            continue;
        }
        /* bare domain: word "." tld, then not a letter */
        if (*p != '.' || i == 0 || !is_word_byte((unsigned char)t[i - 1]) || t[i - 1] == '-')
            continue;
        for (size_t k = 0; LINK_TLDS[k]; k++) {
            size_t n = strlen(LINK_TLDS[k]);
            if (rest > n && starts_with(p + 1, rest - 1, LINK_TLDS[k])
                && (i + 1 + n >= len || !is_word_byte((unsigned char)t[i + 1 + n]))) {
                size_t start = i;
                while (start > 0 && (is_word_byte((unsigned char)t[start - 1]) || t[start - 1] == '.')
                       && (unsigned char)t[start - 1] < 0x80)
                    start--;
                bool in_email = start > 0 && t[start - 1] == '@'; /* reported as an address */
                if (start < i && !in_email && !marketplace_host(t + start, i + 1 + n - start)
                    && !((unsigned char)t[i - 1] >= '0' && (unsigned char)t[i - 1] <= '9'))
                    add_violation(out, "external_link", "contains a web address", t + start, t + i + 1 + n);
                break;
            }
        }
    }
}

static void check_email(const char *t, size_t len, struct eng_guard_result *out)
{
    for (const char *at = memchr(t, '@', len); at != NULL; at = memchr(at + 1, '@', len - (size_t)(at + 1 - t))) {
        const char *start = at, *end = at + 1;
        while (start > t && (is_word_byte((unsigned char)start[-1]) || start[-1] == '.' || start[-1] == '_'
                             || start[-1] == '+') && (unsigned char)start[-1] < 0x80)
            start--;
        while (end < t + len && (is_word_byte((unsigned char)*end) || *end == '.') && (unsigned char)*end < 0x80)
            end++;
        if (start < at && memchr(at, '.', (size_t)(end - at)) != NULL && end[-1] != '.')
            add_violation(out, "email_address", "contains an e-mail address", start, end);
        if (at + 1 >= t + len)
            break;
    }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

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
 * an amount with grouped thousands. */
static void check_phone(const char *t, size_t len, struct eng_guard_result *out)
{
    size_t i = 0;
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
        if (digits >= 8 && digits <= 15 && shaped && !date && !order_id && !after_word && !money)
            add_violation(out, "phone_number", "contains a phone number", t + start, t + last_digit + 1);
        if (i == start)
            i++;
    }
}

static void check_html(const char *t, size_t len, struct eng_guard_result *out)
{
    for (size_t i = 0; i + 1 < len; i++) {
        char next = t[i + 1];
        if (t[i] == '<' && ((next >= 'a' && next <= 'z') || next == '/' || next == '!')) {
            const char *close = memchr(t + i, '>', len - i);
            if (close != NULL) {
                add_violation(out, "html", "contains HTML markup", t + i, close + 1);
                return;
            }
        }
        if (t[i] == '&') {
            size_t j = i + 1;
            if (j < len && t[j] == '#')
                j++;
            size_t name = j;
            while (j < len && j - name < 8 && ((t[j] >= 'a' && t[j] <= 'z') || is_digit(t[j])))
                j++;
            if (j < len && t[j] == ';' && j - name >= 2) {
                add_violation(out, "html", "contains an HTML entity", t + i, t + j + 1);
                return;
            }
        }
    }
}

void eng_guard_check(enum eng_channel channel, const char *text, struct eng_guard_result *out)
{
    pthread_once(&sets_once, build_sets);
    memset(out, 0, sizeof(*out));
    out->passed = true;
    size_t len = strlen(text);
    char *folded = malloc(len + 1);
    if (folded == NULL) {
        add_violation(out, "unchecked", "the text could not be checked (out of memory)", text, text);
        return;
    }
    fold_case(text, folded, len);

    /* sentences: split at ". " "! " "? ", line ends, and 。！？ in one pass */
    const char *start = folded, *end = folded + len;
    for (const char *p = folded; p <= end; p++) {
        size_t mark = 0;
        if (p == end)
            mark = 0;
        else if (*p == '\n')
            mark = 1;
        else if ((*p == '.' || *p == '!' || *p == '?') && (p + 1 == end || p[1] == ' '))
            mark = 1;
        else if (end - p >= 3 && (memcmp(p, "。", 3) == 0 || memcmp(p, "！", 3) == 0 || memcmp(p, "？", 3) == 0))
            mark = 3;
        else
            continue;
        if (p > start)
            check_sentence(start, (size_t)(p - start), out);
        if (p == end)
            break;
        p += mark - 1;
        start = p + 1;
    }
    check_links(folded, len, out);
    check_email(folded, len, out);
    check_phone(folded, len, out);
    check_html(folded, len, out);
    if (channel == CHANNEL_AMAZON) {
        const char *at = needle_find(&coupons, folded, len, NULL);
        if (at != NULL)
            add_violation(out, "coupon_marketing", "offers a coupon or discount, which Amazon counts as marketing",
                          at, folded + len);
    }
    free(folded); /* details hold copies of their quotes */
}
