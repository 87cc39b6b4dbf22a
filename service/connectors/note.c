/* The decision in the agent's words: Zendesk's internal note and tags,
 * Gorgias' widget (include/connector_note.h). Pure: reads the decision JSON,
 * writes text and JSON, nothing else. */
#include "connector_note.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"

/* Every label in every language, one row each, columns in enum
 * eng_language's order: en, zh-Hans, zh-Hant, de, fr, es, it, ja. A row
 * with a column missing does not compile, and an empty column fails the
 * static assertion below, so no language can lack a label. Rows of a group
 * that an engine name table indexes (tiers, actions, ...) are in that
 * table's order; the assertions after the enum check the counts. */
#define NOTE_LABELS(X)                                                                                              \
    X(L_COLON, ": ", "：", "：", ": ", " : ", ": ", ": ", "：")                                                   \
    X(L_LIST_SEP, ", ", "、", "、", ", ", ", ", ", ", ", ", "、")                                                 \
    X(L_TITLE, "Redress suggests", "Redress 建议", "Redress 建議", "Redress empfiehlt", "Redress suggère",          \
      "Redress sugiere", "Redress suggerisce", "Redress の提案")                                                   \
    X(L_OFFER, "Offer", "方案", "方案", "Angebot", "Proposition", "Oferta", "Offerta", "提案内容")                 \
    X(L_KEEP_ITEM, "The buyer keeps the item.", "买家保留商品。", "買家保留商品。",                                \
      "Der Käufer behält den Artikel.", "L'acheteur garde l'article.", "El comprador se queda con el artículo.",   \
      "L'acquirente tiene l'articolo.", "商品は購入者の手元に残ります。")                                          \
    X(L_RETURN_REQUIRED, "The item must come back.", "商品需退回。", "商品需退回。",                              \
      "Der Artikel muss zurückgeschickt werden.", "L'article doit être retourné.", "El artículo debe devolverse.", \
      "L'articolo deve essere restituito.", "商品の返品が必要です。")                                              \
    X(L_REFUND, "Refund", "退款", "退款", "Erstattung", "Remboursement", "Reembolso", "Rimborso", "返金")           \
    X(L_NO_REFUND, "none", "无", "無", "keine", "aucun", "ninguno", "nessuno", "なし")                             \
    X(L_COST_REMEDY, "Cost of this remedy", "此方案成本", "此方案成本", "Kosten dieser Lösung",                   \
      "Coût de cette solution", "Coste de esta solución", "Costo di questa soluzione", "この対応のコスト")         \
    X(L_COST_RETURN, "Cost of a full return", "全额退货成本", "全額退貨成本", "Kosten einer vollen Rücksendung",  \
      "Coût d'un retour complet", "Coste de una devolución completa", "Costo di un reso completo",                 \
      "全額返品のコスト")                                                                                           \
    X(L_SAVING, "Saving", "节省", "節省", "Ersparnis", "Économie", "Ahorro", "Risparmio", "節約額")                 \
    X(L_RESPONSIBILITY, "Responsible", "责任方", "責任方", "Verantwortlich", "Responsable", "Responsable",          \
      "Responsabile", "責任")                                                                                       \
    X(L_RISK, "Buyer's risk", "买家风险", "買家風險", "Käuferrisiko", "Risque acheteur", "Riesgo del comprador",   \
      "Rischio acquirente", "購入者のリスク")                                                                       \
    X(L_WHY, "Why", "原因", "原因", "Warum", "Pourquoi", "Por qué", "Perché", "理由")                               \
    X(L_NO_WARNING_SIGNS, "no warning signs in this buyer's history", "该买家的历史记录中没有异常迹象",            \
      "該買家的歷史紀錄中沒有異常跡象", "keine Warnzeichen in der Vorgeschichte dieses Käufers",                    \
      "aucun signal d'alerte dans l'historique de cet acheteur",                                                   \
      "ninguna señal de alerta en el historial de este comprador",                                                 \
      "nessun segnale d'allarme nello storico di questo acquirente", "この購入者の履歴に警告サインはありません")   \
    X(L_MESSAGE_SIGNALS, "In the buyer's message", "买家留言中", "買家留言中", "In der Nachricht des Käufers",     \
      "Dans le message de l'acheteur", "En el mensaje del comprador", "Nel messaggio dell'acquirente",             \
      "購入者のメッセージ")                                                                                         \
    X(L_MANUAL_REVIEW, "Manual review: a person confirms before any money moves.",                                 \
      "需人工审核：付款前请由专人确认。", "需人工審核：付款前請由專人確認。",                                      \
      "Manuelle Prüfung: Ein Mensch bestätigt, bevor Geld fließt.",                                                \
      "Vérification manuelle : une personne confirme avant tout paiement.",                                        \
      "Revisión manual: una persona confirma antes de mover dinero.",                                              \
      "Revisione manuale: una persona conferma prima di muovere denaro.",                                          \
      "手動確認：返金の前に担当者が確認してください。")                                                            \
    X(L_BUDGET, "Budget", "预算", "預算", "Budget", "Budget", "Presupuesto", "Budget", "予算")                     \
    X(L_BUDGET_OVER, "this SKU's compensation is over its budget", "该 SKU 的补偿已超出预算",                      \
      "該 SKU 的補償已超出預算", "die Entschädigungen für diese SKU liegen über dem Budget",                       \
      "les compensations de ce SKU dépassent le budget", "las compensaciones de este SKU superan el presupuesto", \
      "i risarcimenti di questo SKU superano il budget", "このSKUの補償は予算を超えています")                     \
    X(L_BUDGET_WITHIN, "this SKU's compensation is within its budget", "该 SKU 的补偿在预算之内",                  \
      "該 SKU 的補償在預算之內", "die Entschädigungen für diese SKU liegen im Budget",                             \
      "les compensations de ce SKU restent dans le budget",                                                        \
      "las compensaciones de este SKU están dentro del presupuesto",                                               \
      "i risarcimenti di questo SKU rientrano nel budget", "このSKUの補償は予算内です")                            \
    X(L_BUDGET_RATE, "compensation rate", "补偿率", "補償率", "Entschädigungsquote", "taux de compensation",        \
      "tasa de compensación", "tasso di risarcimento", "補償率")                                                  \
    X(L_ACCOUNT_HEALTH, "Account health (order defect rate)", "账户健康（订单缺陷率）", "帳戶健康（訂單瑕疵率）",  \
      "Kontozustand (Bestellmängelquote)", "Santé du compte (taux de défaut de commande)",                         \
      "Estado de la cuenta (tasa de defectos en pedidos)", "Stato dell'account (tasso di difettosità ordini)",     \
      "アカウント健全性（注文不良率）")                                                                             \
    X(L_RESPOND_BY, "Respond by", "回复期限", "回覆期限", "Antworten bis", "Répondre avant", "Responder antes de", \
      "Rispondere entro", "回答期限")                                                                               \
    X(L_CASE, "Case", "案例", "案例", "Fall", "Dossier", "Caso", "Caso", "ケース")                                 \
    X(L_REPLY, "Reply ready to send", "可直接发送的回复", "可直接發送的回覆", "Antwort zum Versenden",             \
      "Réponse prête à envoyer", "Respuesta lista para enviar", "Risposta pronta da inviare",                      \
      "そのまま送信できる返信")                                                                                     \
    X(L_LANGUAGE, "Language", "语言", "語言", "Sprache", "Langue", "Idioma", "Lingua", "言語")                      \
    X(L_SUBJECT, "Subject", "主题", "主旨", "Betreff", "Objet", "Asunto", "Oggetto", "件名")                        \
    X(L_REPLY_NOT_COMPLIANT, "Warning: this reply breaks the marketplace's messaging rules; check it before sending.", \
      "警告：此回复违反平台消息规则，发送前请核对。", "警告：此回覆違反平台訊息規則，發送前請核對。",              \
      "Achtung: Diese Antwort verstößt gegen die Nachrichtenregeln des Marktplatzes; vor dem Senden prüfen.",      \
      "Attention : cette réponse enfreint les règles de messagerie de la marketplace ; vérifiez-la avant l'envoi.", \
      "Atención: esta respuesta infringe las normas de mensajería del marketplace; revísela antes de enviarla.",   \
      "Attenzione: questa risposta viola le regole di messaggistica del marketplace; verificarla prima dell'invio.", \
      "注意：この返信はマーケットプレイスのメッセージ規約に違反しています。送信前に確認してください。")            \
    /* tiers, in ENG_TIER_NAMES' order */                                                                          \
    X(L_TIER_TOP, "Top tier (our fault: make it fully right, and more)", "最高级（我方责任：全面补救并额外致歉）", \
      "最高級（我方責任：全面補救並額外致歉）", "Höchste Stufe (unser Fehler: voll wiedergutmachen, und mehr)",     \
      "Niveau maximal (notre faute : tout réparer, et plus)", "Nivel máximo (culpa nuestra: repararlo todo, y más)", \
      "Livello massimo (colpa nostra: rimediare del tutto, e di più)", "最上位（当方の過失：全面的に対応し、さらに誠意を）") \
    X(L_TIER_GOODWILL, "Goodwill (a gesture; the buyer keeps the item)", "善意补偿（表达诚意，买家保留商品）",    \
      "善意補償（表達誠意，買家保留商品）", "Kulanz (eine Geste; der Käufer behält den Artikel)",                  \
      "Geste commercial (l'acheteur garde l'article)", "Buena voluntad (un gesto; el comprador se queda el artículo)", \
      "Buona volontà (un gesto; l'acquirente tiene l'articolo)", "好意対応（誠意を示し、商品は購入者の手元に）")   \
    X(L_TIER_COURTESY, "Courtesy (guidance and an apology, a small gesture where allowed)",                        \
      "礼貌回应（说明与致歉，允许时给予小心意）", "禮貌回應（說明與致歉，允許時給予小心意）",                      \
      "Entgegenkommen (Hilfe und Entschuldigung, wo erlaubt eine kleine Geste)",                                   \
      "Courtoisie (conseils et excuses, un petit geste si autorisé)",                                              \
      "Cortesía (orientación y disculpa, un pequeño gesto si se permite)",                                         \
      "Cortesia (indicazioni e scuse, un piccolo gesto se consentito)",                                            \
      "丁寧な対応（案内とお詫び、可能なら小さな心遣い）")                                                          \
    X(L_TIER_FIRM, "Firm (polite but firm; a person decides)", "坚定回应（礼貌而坚定，由专人决定）",              \
      "堅定回應（禮貌而堅定，由專人決定）", "Bestimmt (höflich, aber bestimmt; ein Mensch entscheidet)",            \
      "Ferme (poli mais ferme ; une personne décide)", "Firme (cortés pero firme; decide una persona)",             \
      "Fermo (cortese ma fermo; decide una persona)", "毅然とした対応（丁寧かつ毅然と、判断は担当者が）")          \
    /* actions, in ENG_ACTION_NAMES' order */                                                                      \
    X(L_ACT_FULL_REFUND, "full refund", "全额退款", "全額退款", "volle Erstattung", "remboursement intégral",       \
      "reembolso completo", "rimborso completo", "全額返金")                                                       \
    X(L_ACT_PARTIAL_REFUND, "partial refund", "部分退款", "部分退款", "Teilerstattung", "remboursement partiel",    \
      "reembolso parcial", "rimborso parziale", "一部返金")                                                        \
    X(L_ACT_REPLACEMENT, "replacement", "换货", "換貨", "Ersatzlieferung", "remplacement", "reemplazo",             \
      "sostituzione", "交換品の発送")                                                                               \
    X(L_ACT_RESHIP_PARTS, "reship the missing parts", "补发缺失部件", "補發缺失零件", "fehlende Teile nachsenden", \
      "renvoyer les pièces manquantes", "reenviar las piezas que faltan", "rispedire i pezzi mancanti",           \
      "不足部品の再送")                                                                                             \
    X(L_ACT_EXCHANGE, "exchange (we pay shipping)", "换货（运费由我方承担）", "換貨（運費由我方負擔）",            \
      "Umtausch (Versand zahlen wir)", "échange (port à notre charge)", "cambio (envío a nuestro cargo)",          \
      "cambio (spedizione a nostro carico)", "交換（送料は当方負担）")                                            \
    X(L_ACT_RETURN_REFUND, "refund after return", "退货退款", "退貨退款", "Erstattung nach Rücksendung",           \
      "remboursement après retour", "reembolso tras la devolución", "rimborso dopo il reso", "返品後に返金")       \
    X(L_ACT_CANCEL_REFUND, "cancel and refund", "取消订单并退款", "取消訂單並退款", "stornieren und erstatten",    \
      "annuler et rembourser", "cancelar y reembolsar", "annullare e rimborsare", "キャンセルして返金")           \
    X(L_ACT_COUPON, "coupon", "优惠券", "優惠券", "Gutschein", "bon de réduction", "cupón", "buono sconto",         \
      "クーポン")                                                                                                   \
    X(L_ACT_EXTENDED_WARRANTY, "extended warranty", "延长保修", "延長保固", "verlängerte Garantie",                 \
      "garantie prolongée", "garantía ampliada", "garanzia estesa", "保証期間の延長")                              \
    X(L_ACT_CARRIER_CLAIM, "help with a carrier claim", "协助向承运商索赔", "協助向物流商索賠",                    \
      "Hilfe bei der Reklamation beim Versanddienst", "aide pour la réclamation auprès du transporteur",           \
      "ayuda con la reclamación al transportista", "aiuto per il reclamo al corriere", "配送業者への申し立ての支援") \
    X(L_ACT_EXPLANATION, "explanation", "耐心说明", "耐心說明", "Erklärung", "explication", "explicación",          \
      "spiegazione", "ご説明")                                                                                      \
    X(L_ACT_MANUAL_REVIEW, "manual review", "人工审核", "人工審核", "manuelle Prüfung", "vérification manuelle",    \
      "revisión manual", "revisione manuale", "手動確認")                                                          \
    /* risks, in ENG_RISK_NAMES' order */                                                                          \
    X(L_RISK_LOW, "low", "低", "低", "niedrig", "faible", "bajo", "basso", "低")                                   \
    X(L_RISK_MEDIUM, "medium", "中", "中", "mittel", "moyen", "medio", "medio", "中")                              \
    X(L_RISK_HIGH, "high", "高", "高", "hoch", "élevé", "alto", "alto", "高")                                      \
    /* responsibility, in ENG_RESPONSIBILITY_NAMES' order */                                                       \
    X(L_RESP_SELLER, "us (the seller)", "我方（卖家）", "我方（賣家）", "wir (Verkäufer)", "nous (le vendeur)",     \
      "nosotros (el vendedor)", "noi (il venditore)", "当方（販売者）")                                           \
    X(L_RESP_CARRIER, "the carrier", "承运商", "物流商", "der Versanddienst", "le transporteur", "el transportista", \
      "il corriere", "配送業者")                                                                                   \
    X(L_RESP_BUYER, "the buyer", "买家", "買家", "der Käufer", "l'acheteur", "el comprador", "l'acquirente",       \
      "購入者")                                                                                                     \
    X(L_RESP_SHARED, "shared", "共同责任", "共同責任", "geteilt", "partagée", "compartida", "condivisa", "双方")   \
    /* account health, in ENG_HEALTH_STATUS_NAMES' order */                                                        \
    X(L_HEALTH_GOOD, "good", "良好", "良好", "gut", "bon", "bueno", "buono", "良好")                               \
    X(L_HEALTH_AT_RISK, "at risk", "有风险", "有風險", "gefährdet", "à risque", "en riesgo", "a rischio", "要注意") \
    X(L_HEALTH_BAD, "above Amazon's target", "超出亚马逊标准", "超出亞馬遜標準", "über Amazons Zielwert",         \
      "au-dessus de l'objectif d'Amazon", "por encima del objetivo de Amazon", "sopra l'obiettivo di Amazon",      \
      "Amazonの基準超過")                                                                                           \
    /* the abuse assessment's signals, in ABUSE_CODES' order */                                                    \
    X(L_ABUSE_PRIOR_ABUSE_CONFIRMED, "abuse confirmed before", "曾确认滥用", "曾確認濫用", "früher Missbrauch bestätigt", \
      "abus déjà confirmé", "abuso confirmado antes", "abuso già confermato", "過去に不正を確認")                   \
    X(L_ABUSE_REPEAT_SAME_CATEGORY, "repeated claims for the same problem", "同类问题重复索赔",                    \
      "同類問題重複索賠", "wiederholte Reklamationen wegen desselben Problems",                                     \
      "réclamations répétées pour le même problème", "reclamaciones repetidas por el mismo problema",              \
      "reclami ripetuti per lo stesso problema", "同じ問題での繰り返しの申し立て")                                  \
    X(L_ABUSE_FREQUENT_CLAIMS, "frequent claims", "索赔频繁", "索賠頻繁", "häufige Reklamationen",                 \
      "réclamations fréquentes", "reclamaciones frecuentes", "reclami frequenti", "頻繁な申し立て")              \
    X(L_ABUSE_HIGH_REFUND_RATIO, "refunds high against what the buyer spent", "退款占消费比例偏高",               \
      "退款占消費比例偏高", "Erstattungen hoch im Verhältnis zu den Ausgaben",                                      \
      "remboursements élevés par rapport aux achats", "reembolsos altos frente a lo gastado",                      \
      "rimborsi elevati rispetto alla spesa", "購入額に対して返金が多い")                                          \
    X(L_ABUSE_REPEAT_NOT_RECEIVED, "repeated \"never arrived\" claims", "多次声称未收到货", "多次聲稱未收到貨",     \
      "wiederholt \"nie angekommen\"", "plusieurs réclamations « jamais reçu »", "varias reclamaciones de \"no llegó\"", \
      "più reclami \"mai arrivato\"", "「届いていない」の申し立てが複数回")                                        \
    X(L_ABUSE_QUICK_CLAIM, "claim very soon after delivery", "签收后很快就索赔", "簽收後很快就索賠",              \
      "Reklamation kurz nach der Zustellung", "réclamation peu après la livraison",                                \
      "reclamación poco después de la entrega", "reclamo subito dopo la consegna", "配達直後の申し立て")          \
    X(L_ABUSE_HIGH_ORDER_VALUE, "high order value", "订单金额高", "訂單金額高", "hoher Bestellwert",                \
      "commande de valeur élevée", "pedido de alto valor", "ordine di valore elevato", "高額注文")                \
    /* triage's signals, in ENG_TRIAGE_SIGNAL_NAMES' order */                                                      \
    X(L_SIG_THREATENS_NEGATIVE_REVIEW, "threatens a negative review", "威胁给差评", "威脅給負評",                 \
      "droht mit einer schlechten Bewertung", "menace de laisser un avis négatif",                                 \
      "amenaza con una reseña negativa", "minaccia una recensione negativa", "低評価をほのめかしている")           \
    X(L_SIG_THREATENS_A_TO_Z, "threatens an A-to-z claim", "威胁提出 A-to-z 索赔", "威脅提出 A-to-z 索賠",        \
      "droht mit der A-bis-z-Garantie", "menace de recourir à la garantie A à z", "amenaza con la Garantía de la A a la z", \
      "minaccia la Garanzia dalla A alla z", "Amazonマーケットプレイス保証の申請をほのめかしている")                       \
    X(L_SIG_THREATENS_CHARGEBACK, "threatens a chargeback", "威胁向银行拒付", "威脅向銀行退單",                    \
      "droht mit einer Rückbuchung", "menace d'une rétrofacturation", "amenaza con un contracargo",                \
      "minaccia uno storno", "チャージバックをほのめかしている")                                                  \
    X(L_SIG_MENTIONS_SAFETY_HAZARD, "SAFETY: mentions a hazard", "安全：提到安全隐患", "安全：提到安全隱患",       \
      "SICHERHEIT: erwähnt eine Gefahr", "SÉCURITÉ : mentionne un danger", "SEGURIDAD: menciona un peligro",       \
      "SICUREZZA: segnala un pericolo", "安全：危険に言及")                                                        \
    X(L_SIG_REQUESTS_REFUND, "asks for a refund", "要求退款", "要求退款", "verlangt eine Erstattung",              \
      "demande un remboursement", "pide un reembolso", "chiede un rimborso", "返金を希望")                       \
    X(L_SIG_REQUESTS_REPLACEMENT, "asks for a replacement", "要求换货", "要求換貨", "verlangt Ersatz",             \
      "demande un remplacement", "pide un reemplazo", "chiede una sostituzione", "交換を希望")                    \
    X(L_SIG_REQUESTS_RETURN, "asks to return the item", "要求退货", "要求退貨", "möchte den Artikel zurückgeben",  \
      "demande à retourner l'article", "pide devolver el artículo", "chiede di restituire l'articolo",            \
      "返品を希望")                                                                                                 \
    X(L_SIG_ALREADY_RETURNED, "says the item was already returned", "称已退回商品", "稱已退回商品",               \
      "sagt, der Artikel sei schon zurückgeschickt", "dit avoir déjà retourné l'article",                          \
      "dice que ya devolvió el artículo", "dice di aver già restituito l'articolo", "返品済みと述べている")       \
    X(L_SIG_ITEM_NOT_RECEIVED, "says the item never arrived", "称未收到商品", "稱未收到商品",                      \
      "sagt, der Artikel sei nie angekommen", "dit ne jamais avoir reçu l'article",                                \
      "dice que el artículo nunca llegó", "dice che l'articolo non è mai arrivato", "商品が届いていないと述べている") \
    X(L_SIG_REPEAT_CONTACT, "has written about this before", "已多次联系", "已多次聯繫",                          \
      "hat deswegen schon geschrieben", "a déjà écrit à ce sujet", "ya ha escrito sobre esto",                     \
      "ha già scritto in merito", "以前にも問い合わせている")                                                      \
    X(L_SIG_ABUSIVE_LANGUAGE, "abusive language", "言辞辱骂", "言辭辱罵", "beleidigende Sprache",                   \
      "propos injurieux", "lenguaje ofensivo", "linguaggio offensivo", "暴言")

#define NOTE_LABEL_ENUM(id, ...) id,
enum note_label { NOTE_LABELS(NOTE_LABEL_ENUM) NOTE_LABEL_COUNT };
#undef NOTE_LABEL_ENUM

#define NOTE_LABEL_ROW(id, en, hans, hant, de, fr, es, it, ja) [id] = { en, hans, hant, de, fr, es, it, ja },
static const char *const LABELS[NOTE_LABEL_COUNT][LANG_COUNT] = { NOTE_LABELS(NOTE_LABEL_ROW) };
#undef NOTE_LABEL_ROW

#define NOTE_LABEL_COMPLETE(id, en, hans, hant, de, fr, es, it, ja)                                           \
    _Static_assert(sizeof(en) > 1 && sizeof(hans) > 1 && sizeof(hant) > 1 && sizeof(de) > 1 && sizeof(fr) > 1 \
                       && sizeof(es) > 1 && sizeof(it) > 1 && sizeof(ja) > 1,                                 \
                   "label " #id " is empty in a language");
NOTE_LABELS(NOTE_LABEL_COMPLETE)
#undef NOTE_LABEL_COMPLETE

_Static_assert(LANG_COUNT == 8, "a label row has one column per reply language, in enum eng_language's order");
_Static_assert(L_TIER_FIRM - L_TIER_TOP + 1 == TIER_COUNT, "one label per tier");
_Static_assert(L_ACT_MANUAL_REVIEW - L_ACT_FULL_REFUND + 1 == ACT_COUNT, "one label per action");
_Static_assert(L_RISK_HIGH - L_RISK_LOW + 1 == RISK_COUNT, "one label per risk");
_Static_assert(L_RESP_SHARED - L_RESP_SELLER + 1 == RESP_COUNT, "one label per responsibility");
_Static_assert(L_HEALTH_BAD - L_HEALTH_GOOD + 1 == HEALTH_STATUS_COUNT, "one label per health status");
_Static_assert(L_SIG_ABUSIVE_LANGUAGE - L_SIG_THREATENS_NEGATIVE_REVIEW + 1 == TRIAGE_SIGNAL_COUNT,
               "one label per triage signal");

/* The abuse assessment's signal codes (service/engine/abuse.c), in the
 * labels' order; a code not listed is shown as it is. */
static const char *const ABUSE_CODES[] = {
    "prior_abuse_confirmed", "repeat_same_category", "frequent_claims", "high_refund_ratio",
    "repeat_not_received",   "quick_claim",          "high_order_value",
};
enum { ABUSE_CODE_COUNT = (int)(sizeof(ABUSE_CODES) / sizeof(ABUSE_CODES[0])) };
_Static_assert(L_ABUSE_HIGH_ORDER_VALUE - L_ABUSE_PRIOR_ABUSE_CONFIRMED + 1 == ABUSE_CODE_COUNT,
               "one label per abuse signal code");

enum { MONEY_TEXT_MAX = 64 };

/* What the note and the widget say, read once from the decision JSON.
 * Strings are borrowed from the decision; -1 / false: not in it. */
struct note_facts {
    int tier, primary, responsibility, risk, health;
    int primary_percent;
    const char *case_id, *currency, *respond_by;
    const json_t *actions, *abuse_signals, *triage_signals;
    bool has_keep_item, keep_item, return_required;
    bool has_refund, has_cost, has_savings;
    int64_t refund, cost_remedy, cost_full_return, savings;
    bool manual_review, threat, safety;
    bool has_budget, budget_over;
    double budget_rate;
    int64_t budget_percent;
    const char *reply_language, *subject, *body;
    bool compliance_known, compliance_passed;
};

static const char *label(enum eng_language lang, enum note_label id)
{
    return LABELS[id][lang];
}

static enum eng_language note_language(const char *tag)
{
    int lang = tag != NULL ? eng_enum_parse(ENG_LANGUAGE_TAGS, LANG_COUNT, tag) : -1;
    return lang >= 0 ? (enum eng_language)lang : LANG_EN;
}

static int name_index(const char *const *names, int count, const json_t *value)
{
    const char *text = json_string_value(value);
    return text != NULL ? eng_enum_parse(names, count, text) : -1;
}

static bool integer_member(const json_t *object, const char *key, int64_t *out)
{
    const json_t *value = json_object_get(object, key);
    if (!json_is_integer(value))
        return false;
    *out = (int64_t)json_integer_value(value);
    return true;
}

static bool action_is(const json_t *action, int type)
{
    return name_index(ENG_ACTION_NAMES, ACT_COUNT, json_object_get(action, "type")) == type;
}

static void read_triage_signals(struct note_facts *f)
{
    size_t i;
    const json_t *signal;
    json_array_foreach(f->triage_signals, i, signal) {
        int s = name_index(ENG_TRIAGE_SIGNAL_NAMES, TRIAGE_SIGNAL_COUNT, json_object_get(signal, "code"));
        f->threat |= s == TRIAGE_THREATENS_NEGATIVE_REVIEW || s == TRIAGE_THREATENS_A_TO_Z
                     || s == TRIAGE_THREATENS_CHARGEBACK;
        f->safety |= s == TRIAGE_MENTIONS_SAFETY_HAZARD;
    }
}

static void read_facts(const json_t *d, struct note_facts *f)
{
    memset(f, 0, sizeof(*f));
    const json_t *remedy = json_object_get(d, "remedy"), *cost = json_object_get(d, "cost");
    const json_t *abuse = json_object_get(d, "abuse"), *reply = json_object_get(d, "reply");
    const json_t *budget = json_object_get(d, "budget"), *health = json_object_get(d, "account_health");
    f->tier = name_index(ENG_TIER_NAMES, TIER_COUNT, json_object_get(d, "tier"));
    f->responsibility = name_index(ENG_RESPONSIBILITY_NAMES, RESP_COUNT, json_object_get(d, "responsibility"));
    f->case_id = json_string_value(json_object_get(d, "case_id"));
    f->primary = name_index(ENG_ACTION_NAMES, ACT_COUNT, json_object_get(remedy, "primary"));
    f->actions = json_is_array(json_object_get(remedy, "actions")) ? json_object_get(remedy, "actions") : NULL;
    size_t i;
    const json_t *action;
    f->manual_review = f->primary == ACT_MANUAL_REVIEW;
    json_array_foreach(f->actions, i, action) {
        f->manual_review |= action_is(action, ACT_MANUAL_REVIEW);
        int64_t percent;
        if (f->primary >= 0 && action_is(action, f->primary) && f->primary_percent == 0
            && integer_member(action, "percent", &percent) && percent > 0 && percent <= 100)
            f->primary_percent = (int)percent;
    }
    f->has_keep_item = json_is_boolean(json_object_get(remedy, "keep_item"));
    f->keep_item = json_is_true(json_object_get(remedy, "keep_item"));
    f->return_required = json_is_true(json_object_get(remedy, "return_required"));
    f->has_refund = integer_member(remedy, "refund_amount", &f->refund);
    f->currency = json_string_value(json_object_get(cost, "currency"));
    f->has_cost = integer_member(cost, "remedy", &f->cost_remedy) && integer_member(cost, "full_return",
                                                                                     &f->cost_full_return);
    f->has_savings = integer_member(cost, "savings", &f->savings);
    f->risk = name_index(ENG_RISK_NAMES, RISK_COUNT, json_object_get(abuse, "risk"));
    f->abuse_signals = json_is_array(json_object_get(abuse, "signals")) ? json_object_get(abuse, "signals") : NULL;
    const json_t *triage_signals = json_object_get(json_object_get(d, "triage"), "signals");
    f->triage_signals = json_is_array(triage_signals) ? triage_signals : NULL;
    read_triage_signals(f);
    f->has_budget = json_is_number(json_object_get(budget, "sku_cost_rate"))
                    && integer_member(budget, "budget_percent", &f->budget_percent);
    f->budget_rate = json_number_value(json_object_get(budget, "sku_cost_rate"));
    f->budget_over = json_is_true(json_object_get(budget, "over"));
    f->health = name_index(ENG_HEALTH_STATUS_NAMES, HEALTH_STATUS_COUNT,
                           json_object_get(health, "order_defect_rate_status"));
    f->respond_by = json_string_value(json_object_get(json_object_get(d, "deadlines"), "respond_by"));
    f->reply_language = json_string_value(json_object_get(reply, "language"));
    f->subject = json_string_value(json_object_get(reply, "subject"));
    f->body = json_string_value(json_object_get(reply, "body"));
    const json_t *passed = json_object_get(json_object_get(reply, "compliance"), "passed");
    f->compliance_known = json_is_boolean(passed);
    f->compliance_passed = json_is_true(passed);
}

/* An amount as a reader of lang expects it, by the currency's exponent
 * ("$7.80", "7,80 €", "780円"); a currency the service does not know
 * (never in a decision it made) as minor units and code. */
static void money_text(int64_t minor, const char *currency, enum eng_language lang, char out[MONEY_TEXT_MAX])
{
    const struct eng_currency *c = eng_currency_find(currency);
    if (c == NULL || !eng_money_format(minor, c, lang, out, MONEY_TEXT_MAX))
        snprintf(out, MONEY_TEXT_MAX, "%lld %s", (long long)minor, currency != NULL ? currency : "");
}

static void append_line(struct buf *b, enum eng_language lang, enum note_label name, const char *value)
{
    buf_printf(b, "%s%s%s\n", label(lang, name), label(lang, L_COLON), value);
}

/* "Why:" above a list: the colon without the space that a value would follow */
static void append_heading(struct buf *b, enum eng_language lang, enum note_label name)
{
    const char *colon = label(lang, L_COLON);
    size_t n = strlen(colon);
    while (n > 0 && colon[n - 1] == ' ')
        n--;
    buf_append_str(b, label(lang, name));
    buf_append(b, colon, n);
    buf_append_str(b, "\n");
}

static void append_money_line(struct buf *b, const struct note_facts *f, enum eng_language lang,
                              enum note_label name, int64_t minor)
{
    char money[MONEY_TEXT_MAX];
    money_text(minor, f->currency, lang, money);
    append_line(b, lang, name, money);
}

/* "Goodwill (...): partial refund (30 %)" */
static void append_headline(struct buf *b, const struct note_facts *f, enum eng_language lang)
{
    buf_append_str(b, label(lang, (enum note_label)(L_TIER_TOP + f->tier)));
    if (f->primary >= 0) {
        buf_printf(b, "%s%s", label(lang, L_COLON), label(lang, (enum note_label)(L_ACT_FULL_REFUND + f->primary)));
        if (f->primary_percent > 0)
            buf_printf(b, " (%d %%)", f->primary_percent);
    }
}

static void append_actions(struct buf *b, const struct note_facts *f, enum eng_language lang)
{
    size_t i, shown = 0;
    const json_t *action;
    json_array_foreach(f->actions, i, action) {
        int type = name_index(ENG_ACTION_NAMES, ACT_COUNT, json_object_get(action, "type"));
        if (type < 0)
            continue;
        if (shown++ == 0)
            buf_printf(b, "%s%s", label(lang, L_OFFER), label(lang, L_COLON));
        else
            buf_append_str(b, label(lang, L_LIST_SEP));
        buf_append_str(b, label(lang, (enum note_label)(L_ACT_FULL_REFUND + type)));
        int64_t amount, percent;
        if (integer_member(action, "amount", &amount) && amount > 0) {
            char money[MONEY_TEXT_MAX];
            money_text(amount, f->currency, lang, money);
            buf_printf(b, " %s", money);
        }
        if (integer_member(action, "percent", &percent) && percent > 0)
            buf_printf(b, " (%lld %%)", (long long)percent);
    }
    if (shown > 0)
        buf_append_str(b, "\n");
}

static void append_why(struct buf *b, const struct note_facts *f, enum eng_language lang)
{
    append_heading(b, lang, L_WHY);
    size_t i, shown = 0;
    const json_t *signal;
    json_array_foreach(f->abuse_signals, i, signal) {
        const char *code = json_string_value(json_object_get(signal, "code"));
        const char *detail = json_string_value(json_object_get(signal, "detail"));
        if (code == NULL)
            continue;
        int known = eng_enum_parse(ABUSE_CODES, ABUSE_CODE_COUNT, code);
        const char *name = known >= 0 ? label(lang, (enum note_label)(L_ABUSE_PRIOR_ABUSE_CONFIRMED + known)) : code;
        /* the detail is the engine's own (English) account, with its numbers */
        if (detail != NULL && detail[0] != '\0')
            buf_printf(b, "- %s (%s)\n", name, detail);
        else
            buf_printf(b, "- %s\n", name);
        shown++;
    }
    if (shown == 0)
        buf_printf(b, "- %s\n", label(lang, L_NO_WARNING_SIGNS));
}

static void append_message_signals(struct buf *b, const struct note_facts *f, enum eng_language lang)
{
    size_t i, shown = 0;
    const json_t *signal;
    json_array_foreach(f->triage_signals, i, signal) {
        int s = name_index(ENG_TRIAGE_SIGNAL_NAMES, TRIAGE_SIGNAL_COUNT, json_object_get(signal, "code"));
        if (s < 0)
            continue;
        if (shown++ == 0)
            append_heading(b, lang, L_MESSAGE_SIGNALS);
        const char *matched = json_string_value(json_object_get(signal, "matched"));
        const char *name = label(lang, (enum note_label)(L_SIG_THREATENS_NEGATIVE_REVIEW + s));
        /* the buyer's own words that showed it */
        if (matched != NULL && matched[0] != '\0')
            buf_printf(b, "- %s%s\"%s\"\n", name, label(lang, L_COLON), matched);
        else
            buf_printf(b, "- %s\n", name);
    }
}

static void append_budget_and_health(struct buf *b, const struct note_facts *f, enum eng_language lang)
{
    if (f->has_budget) {
        /* the rate is a fraction (millionths); shown in tenths of a percent */
        long long tenths = (long long)(f->budget_rate * 1000.0 + 0.5);
        buf_printf(b, "%s%s%s (%s %lld.%lld %% / %lld %%)\n", label(lang, L_BUDGET), label(lang, L_COLON),
                   label(lang, f->budget_over ? L_BUDGET_OVER : L_BUDGET_WITHIN), label(lang, L_BUDGET_RATE),
                   tenths / 10, tenths % 10, (long long)f->budget_percent);
    }
    if (f->health >= 0)
        append_line(b, lang, L_ACCOUNT_HEALTH, label(lang, (enum note_label)(L_HEALTH_GOOD + f->health)));
}

static void append_reply(struct buf *b, const struct note_facts *f, enum eng_language lang)
{
    if (f->body == NULL)
        return;
    buf_append_str(b, "\n");
    append_heading(b, lang, L_REPLY);
    if (f->reply_language != NULL)
        append_line(b, lang, L_LANGUAGE, f->reply_language);
    if (f->compliance_known && !f->compliance_passed)
        buf_printf(b, "%s\n", label(lang, L_REPLY_NOT_COMPLIANT));
    if (f->subject != NULL && f->subject[0] != '\0')
        append_line(b, lang, L_SUBJECT, f->subject);
    buf_printf(b, "\n%s\n", f->body);
}

char *connector_note_text(const json_t *decision, const char *language, const char *delivery_id)
{
    if (!json_is_object(decision))
        return NULL;
    struct note_facts f;
    read_facts(decision, &f);
    if (f.tier < 0)
        return NULL;
    enum eng_language lang = note_language(language);
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s%s", label(lang, L_TITLE), label(lang, L_COLON));
    append_headline(&b, &f, lang);
    buf_append_str(&b, "\n\n");
    append_actions(&b, &f, lang);
    if (f.has_keep_item)
        buf_printf(&b, "%s\n", label(lang, f.keep_item ? L_KEEP_ITEM : L_RETURN_REQUIRED));
    else if (f.return_required)
        buf_printf(&b, "%s\n", label(lang, L_RETURN_REQUIRED));
    if (f.has_refund) {
        if (f.refund > 0)
            append_money_line(&b, &f, lang, L_REFUND, f.refund);
        else
            append_line(&b, lang, L_REFUND, label(lang, L_NO_REFUND));
    }
    if (f.has_cost) {
        append_money_line(&b, &f, lang, L_COST_REMEDY, f.cost_remedy);
        append_money_line(&b, &f, lang, L_COST_RETURN, f.cost_full_return);
        append_money_line(&b, &f, lang, L_SAVING, f.has_savings ? f.savings : f.cost_full_return - f.cost_remedy);
    }
    if (f.responsibility >= 0)
        append_line(&b, lang, L_RESPONSIBILITY, label(lang, (enum note_label)(L_RESP_SELLER + f.responsibility)));
    if (f.risk >= 0)
        append_line(&b, lang, L_RISK, label(lang, (enum note_label)(L_RISK_LOW + f.risk)));
    append_why(&b, &f, lang);
    append_message_signals(&b, &f, lang);
    if (f.manual_review)
        buf_printf(&b, "%s\n", label(lang, L_MANUAL_REVIEW));
    append_budget_and_health(&b, &f, lang);
    if (f.respond_by != NULL)
        append_line(&b, lang, L_RESPOND_BY, f.respond_by);
    if (f.case_id != NULL)
        append_line(&b, lang, L_CASE, f.case_id);
    append_reply(&b, &f, lang);
    if (delivery_id != NULL)
        buf_printf(&b, "\nRedress delivery %s", delivery_id);
    char *text = buf_steal(&b, NULL);
    buf_cleanup(&b);
    return text;
}

/* Appends one tag; false when the array could not take it. */
static bool add_tag(json_t *tags, const char *tag)
{
    return json_array_append_new(tags, json_string(tag)) == 0;
}

json_t *connector_note_tags(const json_t *decision)
{
    struct note_facts f;
    read_facts(decision, &f);
    json_t *tags = json_array();
    if (tags == NULL)
        return NULL;
    char tier_tag[32];
    /* tier names are lowercase ASCII words (ENG_TIER_NAMES): a Zendesk tag as they are */
    if (f.tier >= 0)
        snprintf(tier_tag, sizeof(tier_tag), "redress_%s", ENG_TIER_NAMES[f.tier]);
    bool complete = add_tag(tags, "redress") && (f.tier < 0 || add_tag(tags, tier_tag))
                    && (!f.manual_review || add_tag(tags, "redress_manual_review"))
                    && (f.risk != RISK_HIGH || add_tag(tags, "redress_risk_high"))
                    && (!f.threat || add_tag(tags, "redress_threat")) && (!f.safety || add_tag(tags, "redress_safety"));
    if (!complete) {
        json_decref(tags);
        return NULL;
    }
    return tags;
}

json_t *connector_note_zendesk_update(const json_t *decision, const char *language, const char *delivery_id)
{
    char *text = connector_note_text(decision, language, delivery_id);
    json_t *tags = text != NULL ? connector_note_tags(decision) : NULL;
    json_t *update = NULL;
    if (text != NULL && tags != NULL)
        update = json_pack("{s:{s:{s:s, s:b}, s:O}}", "ticket", "comment", "body", text, "public", 0,
                           "additional_tags", tags);
    free(text);
    json_decref(tags);
    return update;
}

static json_t *string_or_null(const char *text)
{
    return text != NULL ? json_string(text) : json_null();
}

json_t *connector_widget(const json_t *decision, const char *language)
{
    if (!json_is_object(decision))
        return NULL;
    struct note_facts f;
    read_facts(decision, &f);
    if (f.tier < 0)
        return NULL;
    enum eng_language lang = note_language(language);
    struct buf summary;
    buf_init(&summary, 0);
    append_headline(&summary, &f, lang);
    char *summary_text = buf_steal(&summary, NULL);
    buf_cleanup(&summary);
    if (summary_text == NULL)
        return NULL;

    json_t *amount = json_null();
    if (f.has_refund && f.currency != NULL) {
        char money[MONEY_TEXT_MAX];
        money_text(f.refund, f.currency, lang, money);
        amount = json_pack("{s:I, s:s, s:s}", "value", (json_int_t)f.refund, "currency", f.currency, "display",
                           money);
    }
    json_t *reply = f.body != NULL ? json_pack("{s:o, s:s}", "language", string_or_null(f.reply_language), "text",
                                               f.body)
                                   : json_null();
    json_t *compliance = f.compliance_known ? json_pack("{s:b}", "passed", f.compliance_passed) : json_null();
    json_t *widget = NULL;
    if (amount != NULL && reply != NULL && compliance != NULL)
        widget = json_pack("{s:o, s:s, s:o, s:s, s:O, s:o, s:b, s:O, s:O}", "case_id", string_or_null(f.case_id),
                           "tier", ENG_TIER_NAMES[f.tier], "remedy",
                           f.primary >= 0 ? json_string(ENG_ACTION_NAMES[f.primary]) : json_null(), "summary",
                           summary_text, "amount", amount, "risk",
                           f.risk >= 0 ? json_string(ENG_RISK_NAMES[f.risk]) : json_null(), "manual_review",
                           f.manual_review, "reply", reply, "compliance", compliance);
    free(summary_text);
    json_decref(amount);
    json_decref(reply);
    json_decref(compliance);
    return widget;
}
