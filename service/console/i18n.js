// English and Simplified Chinese: one table each, with the same keys (the
// browser tests check it). The language follows navigator.languages (zh*
// gives zh-CN) until the seller picks one with the switch, which is kept in
// localStorage. Numbers, money and dates go through Intl.

const STORAGE_KEY = 'redress.lang';
export const LANGUAGES = ['en', 'zh-CN'];

export const STRINGS = {
  en: {
    'app.name': 'Redress',
    'app.tagline': 'After-sales decisions, costs and account health',
    'nav.overview': 'Overview',
    'nav.skus': 'SKUs',
    'nav.health': 'Account health',
    'nav.cases': 'Cases',
    'nav.policy': 'Policy',
    'nav.menu': 'Menu',
    'nav.signout': 'Sign out',
    'nav.language': 'Language',
    'nav.signed_in_as': 'Signed in as {tenant}',
    'signin.title': 'Sign in to your console',
    'signin.lead': 'Paste an API key of your account. It is exchanged for a session; the key is not kept in this browser.',
    'signin.key': 'API key',
    'signin.submit': 'Sign in',
    'signin.wrong_key': 'That key was not accepted. Check it and try again.',
    'signin.expired': 'Your session has ended. Sign in again to continue.',
    'signin.signed_out': 'You have signed out.',
    'common.loading': 'Loading…',
    'common.retry': 'Try again',
    'common.unavailable': 'The service is busy or its database is unreachable right now.',
    'common.error': 'Something went wrong: {detail}',
    'common.none': '—',
    'common.period': 'Period',
    'common.weeks': 'Last {n} weeks',
    'common.days': 'Last {n} days',
    'common.all_time': 'All recorded cases',
    'common.cases': 'Cases',
    'common.cost': 'Compensation cost',
    'common.savings': 'Savings against full returns',
    'common.refunded': 'Refunded',
    'common.currency': 'Currency',
    'common.yes': 'Yes',
    'common.no': 'No',
    'common.unknown': 'Unknown',
    'common.status.good': 'Good',
    'common.status.at_risk': 'At risk',
    'common.status.bad': 'Bad',
    'common.older': 'Older cases',
    'common.copy': 'Copy',
    'common.copied': 'Copied',
    'common.copy_failed': 'Could not copy: select the text and copy it yourself.',
    'common.colon': ': ', // after a label, before its text
    'overview.title': 'Overview',
    'overview.chart': 'Cases and compensation cost per week',
    'overview.chart_cases': 'Cases',
    'overview.chart_cost': 'Cost ({currency})',
    'overview.tiers': 'Tier mix',
    'overview.reasons': 'Top reasons by cost',
    'overview.outcomes': 'Outcomes',
    'overview.outcome_status': 'Standing outcome',
    'overview.review_outcomes': 'Review outcome',
    'overview.orders_retained': 'Order kept',
    'overview.empty': 'No cases in this period.',
    'overview.empty_hint': 'Cases appear here as your helpdesk posts them to Redress.',
    'overview.other_currencies': 'Also in this period: {list}',
    'overview.savings_rate': '{pct} of what full returns would have cost',
    'skus.title': 'SKUs',
    'skus.sku': 'SKU',
    'skus.units': 'Units sold',
    'skus.cases': 'Cases',
    'skus.return_rate': 'Return rate',
    'skus.cost_rate': 'Compensation / revenue',
    'skus.budget': 'Budget {pct}',
    'skus.over_budget': 'Over budget',
    'skus.cost': 'Compensation',
    'skus.top_reason': 'Top reason',
    'skus.empty': 'No SKU had sales, cases or returns in this period.',
    'skus.sort_by': 'Sort by {column}',
    'skus.view_cases': 'Cases of {sku}',
    'skus.total': '{n} SKUs',
    'health.title': 'Account health',
    'health.as_of': 'As of {date}',
    'health.target': 'Target {op} {pct}',
    'health.window': '{n}-day window',
    'health.no_orders': 'No orders in this window',
    'health.trend': '13-week trend',
    'health.parts': 'Parts',
    'health.empty_hint': 'Import your Amazon orders report to see these metrics.',
    'metric.order_defect_rate': 'Order defect rate',
    'metric.late_shipment_rate_10d': 'Late shipment rate (10 days)',
    'metric.late_shipment_rate_30d': 'Late shipment rate (30 days)',
    'metric.pre_fulfillment_cancel_rate': 'Pre-fulfilment cancel rate',
    'metric.valid_tracking_rate': 'Valid tracking rate',
    'metric.contact_response_time': 'Messages answered late (24 h)',
    'part.negative_feedback': 'Negative feedback',
    'part.a_to_z_claim': 'A-to-z claims',
    'part.chargeback': 'Chargebacks',
    'cases.title': 'Cases',
    'cases.search': 'Search',
    'cases.buyer_id': 'Buyer id',
    'cases.order_id': 'Order id',
    'cases.ticket_id': 'Ticket id',
    'cases.sku': 'SKU',
    'cases.clear': 'Clear',
    'cases.created': 'Created',
    'cases.category': 'Category',
    'cases.tier': 'Tier',
    'cases.remedy': 'Remedy',
    'cases.refund': 'Refund',
    'cases.outcome': 'Outcome',
    'cases.empty': 'No cases match.',
    'cases.empty_latest': 'No cases yet.',
    'cases.filtered_by': 'Cases of {filter}',
    'case.title': 'Case {id}',
    'case.back': 'All cases',
    'case.request': 'The request',
    'case.decision': 'The decision',
    'case.reply': 'The reply',
    'case.compliance': 'Compliance',
    'case.compliance_passed': 'Passed the marketplace\'s messaging rules',
    'case.compliance_failed': 'Breaks the marketplace\'s messaging rules',
    'case.outcomes': 'Outcomes',
    'case.no_outcome': 'No outcome recorded yet.',
    'case.record_outcome': 'Record an outcome',
    'case.messages': 'Conversation',
    'case.evidence': 'Evidence pack',
    'case.evidence_purpose': 'For',
    'case.evidence_download': 'Download PDF',
    'case.evidence_failed': 'The evidence pack could not be made: {detail}',
    'case.order': 'Order',
    'case.buyer': 'Buyer',
    'case.price': 'Item price',
    'case.channel': 'Channel',
    'case.ticket': 'Ticket',
    'case.message': 'Buyer\'s message',
    'case.responsibility': 'Responsible',
    'case.risk': 'Abuse risk',
    'case.respond_by': 'Respond by',
    'case.policy_version': 'Policy version',
    'case.full_return': 'A full return would cost',
    'case.status': 'Status',
    'case.final_refund': 'Final refund ({currency})',
    'case.review_outcome': 'Review outcome',
    'case.order_retained': 'Order kept',
    'case.abuse_confirmed': 'Abuse confirmed',
    'case.note': 'Note',
    'case.save_outcome': 'Record outcome',
    'case.outcome_saved': 'Outcome recorded.',
    'case.revision': 'Revision {n}',
    'case.not_found': 'No such case in your account.',
    'policy.title': 'Policy',
    'policy.version': 'Version {n}',
    'policy.current': 'Current version {n}, made {date}',
    'policy.group.remedies': 'Remedies',
    'policy.group.costs': 'Costs',
    'policy.group.abuse': 'Abuse',
    'policy.group.deadlines': 'Deadlines',
    'policy.group.categories': 'Categories',
    'policy.group.auto_approve_limit': 'Auto-approve limits',
    'policy.auto_approve_help': 'Per currency, in minor units: a refund above it asks a person to confirm. Empty: no limit.',
    'policy.goodwill_percent': 'Goodwill %',
    'policy.tier_ceiling': 'Most generous tier',
    'policy.allowed_actions': 'Allowed actions',
    'policy.range': 'From {min} to {max}',
    'policy.note': 'Why this change (stored with the version)',
    'policy.window': 'Simulate over',
    'policy.simulate': 'Simulate',
    'policy.publish': 'Publish',
    'policy.published': 'Published version {n}.',
    'policy.conflict': 'Someone published another version meanwhile. Reload to edit the newest one.',
    'policy.reload': 'Reload policy',
    'policy.invalid': 'Some values are not accepted; see the fields marked below.',
    'policy.sim_title': 'What this change would do',
    'policy.sim_cases': '{cases} cases replayed, {changed} would change',
    'policy.sim_fidelity': '{n} cases did not replay as recorded.',
    'policy.before': 'Now',
    'policy.after': 'With the change',
    'policy.delta': 'Change',
    'policy.sim_firm': 'Firm (a person decides)',
    'policy.sim_manual': 'Manual review',
    'policy.sim_cost': 'Remedy cost ({currency})',
    'policy.sim_savings': 'Savings ({currency})',
    'policy.by_category': 'Cost change by category',
    'policy.top_changes': 'Most common changes',
    'policy.history': 'Version history',
    'policy.history_empty': 'Only the defaults so far.',
    'policy.created_by': 'by {who}',
    'policy.defaults': 'defaults',
    'policy.sim_none': 'No recorded cases in this window.',
    // The policy's fields (policy_fields.js names them).
    'field.goodwill_min_percent': 'Lowest goodwill refund (%)',
    'field.goodwill_max_percent': 'Highest goodwill refund (%)',
    'field.custom_expectation_percent': 'Personalised item, not as imagined (%)',
    'field.gesture_percent': 'Small gesture (%)',
    'field.usage_coupon_percent': 'Usage coupon (%)',
    'field.top_gesture_percent': 'Top tier extra (%)',
    'field.late_major_days': 'Days late counted as lost',
    'field.high_value_minor': 'High-value item price (minor units)',
    'field.return_window_days': 'Return window (days)',
    'field.favour_buyer_when_odr_at_risk': 'Favour the buyer when the order defect rate is at risk',
    'field.landed_cost_percent': 'Landed cost (% of price)',
    'field.outbound_postage_percent': 'Postage to send again (% of price)',
    'field.return_postage_percent': 'Return postage (% of price)',
    'field.handling_percent': 'Handling a return (% of price)',
    'field.resale_percent': 'Resale value of a return (% of cost)',
    'field.parts_cost_percent': 'Missing parts (% of cost)',
    'field.warranty_cost_percent': 'Extended warranty (% of price)',
    'field.return_insurance': 'Returns are insured',
    'field.insurance_repay_percent': 'Postage the insurance repays (%)',
    'field.compensation_budget_percent': 'Compensation budget (% of SKU revenue)',
    'field.prefer_cheapest_over_budget': 'Over budget, recommend the cheapest equal remedy',
    'field.budget_window_days': 'Budget window (days)',
    'field.same_category_points': 'Points per earlier claim, same category',
    'field.frequent_threshold': 'Claims in 90 days before "frequent"',
    'field.frequent_points': 'Points per claim beyond it',
    'field.refund_ratio_percent': 'High refund ratio from (%)',
    'field.refund_ratio_min_cases': '…over at least (refunded cases)',
    'field.refund_ratio_points': 'Points for a high refund ratio',
    'field.confirmed_points': 'Points for confirmed abuse',
    'field.not_received_points': 'Points per "never arrived" claim',
    'field.quick_claim_hours': 'Quick claim within (hours)',
    'field.quick_claim_points': 'Points for a quick claim',
    'field.high_value_points': 'Points for a high-value order',
    'field.medium_score': 'Medium risk from score',
    'field.high_score': 'High risk from score',
    'field.respond_hours': 'Answer every message within (hours)',
    'field.a_to_z_hours': 'Answer an A-to-z claim within (hours)',
    'field.chargeback_hours': 'Answer a chargeback within (hours)',
  },
  'zh-CN': {
    'app.name': 'Redress',
    'app.tagline': '售后决策、成本与账户健康',
    'nav.overview': '概览',
    'nav.skus': 'SKU',
    'nav.health': '账户健康',
    'nav.cases': '案例',
    'nav.policy': '策略',
    'nav.menu': '菜单',
    'nav.signout': '退出登录',
    'nav.language': '语言',
    'nav.signed_in_as': '当前账户：{tenant}',
    'signin.title': '登录控制台',
    'signin.lead': '粘贴您账户的 API 密钥。它会换成一个会话；浏览器不会保存密钥。',
    'signin.key': 'API 密钥',
    'signin.submit': '登录',
    'signin.wrong_key': '该密钥未被接受，请检查后重试。',
    'signin.expired': '会话已结束，请重新登录。',
    'signin.signed_out': '您已退出登录。',
    'common.loading': '加载中…',
    'common.retry': '重试',
    'common.unavailable': '服务繁忙或数据库暂时无法连接。',
    'common.error': '出现问题：{detail}',
    'common.none': '—',
    'common.period': '期间',
    'common.weeks': '最近 {n} 周',
    'common.days': '最近 {n} 天',
    'common.all_time': '全部已记录案例',
    'common.cases': '案例',
    'common.cost': '补偿成本',
    'common.savings': '相比全额退货节省',
    'common.refunded': '已退款',
    'common.currency': '币种',
    'common.yes': '是',
    'common.no': '否',
    'common.unknown': '未知',
    'common.status.good': '良好',
    'common.status.at_risk': '有风险',
    'common.status.bad': '不达标',
    'common.older': '更早的案例',
    'common.copy': '复制',
    'common.copied': '已复制',
    'common.copy_failed': '无法复制：请手动选中文本复制。',
    'common.colon': '：',
    'overview.title': '概览',
    'overview.chart': '每周案例数与补偿成本',
    'overview.chart_cases': '案例',
    'overview.chart_cost': '成本（{currency}）',
    'overview.tiers': '等级分布',
    'overview.reasons': '成本最高的原因',
    'overview.outcomes': '结果',
    'overview.outcome_status': '当前结果',
    'overview.review_outcomes': '评价结果',
    'overview.orders_retained': '订单保留',
    'overview.empty': '此期间没有案例。',
    'overview.empty_hint': '客服系统把案例发送到 Redress 后会显示在这里。',
    'overview.other_currencies': '此期间的其他币种：{list}',
    'overview.savings_rate': '为全额退货成本的 {pct}',
    'skus.title': 'SKU',
    'skus.sku': 'SKU',
    'skus.units': '销量',
    'skus.cases': '案例',
    'skus.return_rate': '退货率',
    'skus.cost_rate': '补偿 / 收入',
    'skus.budget': '预算 {pct}',
    'skus.over_budget': '超出预算',
    'skus.cost': '补偿',
    'skus.top_reason': '主要原因',
    'skus.empty': '此期间没有 SKU 产生销售、案例或退货。',
    'skus.sort_by': '按{column}排序',
    'skus.view_cases': '{sku} 的案例',
    'skus.total': '共 {n} 个 SKU',
    'health.title': '账户健康',
    'health.as_of': '截至 {date}',
    'health.target': '目标 {op} {pct}',
    'health.window': '{n} 天窗口',
    'health.no_orders': '此窗口内没有订单',
    'health.trend': '13 周趋势',
    'health.parts': '组成',
    'health.empty_hint': '导入亚马逊订单报告后即可查看这些指标。',
    'metric.order_defect_rate': '订单缺陷率',
    'metric.late_shipment_rate_10d': '迟发率（10 天）',
    'metric.late_shipment_rate_30d': '迟发率（30 天）',
    'metric.pre_fulfillment_cancel_rate': '配送前取消率',
    'metric.valid_tracking_rate': '有效追踪率',
    'metric.contact_response_time': '超过 24 小时回复的消息',
    'part.negative_feedback': '负面反馈',
    'part.a_to_z_claim': '亚马逊商城交易保障索赔',
    'part.chargeback': '信用卡拒付',
    'cases.title': '案例',
    'cases.search': '搜索',
    'cases.buyer_id': '买家 ID',
    'cases.order_id': '订单号',
    'cases.ticket_id': '工单号',
    'cases.sku': 'SKU',
    'cases.clear': '清除',
    'cases.created': '创建时间',
    'cases.category': '类别',
    'cases.tier': '等级',
    'cases.remedy': '方案',
    'cases.refund': '退款',
    'cases.outcome': '结果',
    'cases.empty': '没有匹配的案例。',
    'cases.empty_latest': '还没有案例。',
    'cases.filtered_by': '{filter} 的案例',
    'case.title': '案例 {id}',
    'case.back': '全部案例',
    'case.request': '请求',
    'case.decision': '决策',
    'case.reply': '回复',
    'case.compliance': '合规',
    'case.compliance_passed': '符合平台的消息规则',
    'case.compliance_failed': '违反平台的消息规则',
    'case.outcomes': '结果',
    'case.no_outcome': '尚未记录结果。',
    'case.record_outcome': '记录结果',
    'case.messages': '对话',
    'case.evidence': '证据包',
    'case.evidence_purpose': '用途',
    'case.evidence_download': '下载 PDF',
    'case.evidence_failed': '无法生成证据包：{detail}',
    'case.order': '订单',
    'case.buyer': '买家',
    'case.price': '商品价格',
    'case.channel': '渠道',
    'case.ticket': '工单',
    'case.message': '买家留言',
    'case.responsibility': '责任方',
    'case.risk': '滥用风险',
    'case.respond_by': '回复截止',
    'case.policy_version': '策略版本',
    'case.full_return': '全额退货成本',
    'case.status': '状态',
    'case.final_refund': '最终退款（{currency}）',
    'case.review_outcome': '评价结果',
    'case.order_retained': '订单保留',
    'case.abuse_confirmed': '确认滥用',
    'case.note': '备注',
    'case.save_outcome': '记录结果',
    'case.outcome_saved': '结果已记录。',
    'case.revision': '第 {n} 次修订',
    'case.not_found': '您的账户中没有此案例。',
    'policy.title': '策略',
    'policy.version': '版本 {n}',
    'policy.current': '当前版本 {n}，创建于 {date}',
    'policy.group.remedies': '补救方案',
    'policy.group.costs': '成本',
    'policy.group.abuse': '滥用',
    'policy.group.deadlines': '时限',
    'policy.group.categories': '类别',
    'policy.group.auto_approve_limit': '自动批准上限',
    'policy.auto_approve_help': '按币种（最小货币单位）：超过该金额的退款需人工确认。留空：不设上限。',
    'policy.goodwill_percent': '善意退款 %',
    'policy.tier_ceiling': '最高等级',
    'policy.allowed_actions': '允许的方案',
    'policy.range': '范围 {min} 至 {max}',
    'policy.note': '修改原因（随版本保存）',
    'policy.window': '模拟范围',
    'policy.simulate': '模拟',
    'policy.publish': '发布',
    'policy.published': '已发布版本 {n}。',
    'policy.conflict': '期间已有人发布了新版本。请重新加载后编辑最新版本。',
    'policy.reload': '重新加载策略',
    'policy.invalid': '部分数值不被接受，请查看下方标出的字段。',
    'policy.sim_title': '此修改的影响',
    'policy.sim_cases': '重放 {cases} 个案例，{changed} 个会改变',
    'policy.sim_fidelity': '{n} 个案例的重放与记录不一致。',
    'policy.before': '当前',
    'policy.after': '修改后',
    'policy.delta': '变化',
    'policy.sim_firm': '坚持（人工决定）',
    'policy.sim_manual': '人工审核',
    'policy.sim_cost': '补救成本（{currency}）',
    'policy.sim_savings': '节省（{currency}）',
    'policy.by_category': '按类别的成本变化',
    'policy.top_changes': '最常见的变化',
    'policy.history': '版本历史',
    'policy.history_empty': '目前只有默认版本。',
    'policy.created_by': '由 {who}',
    'policy.defaults': '默认',
    'policy.sim_none': '此范围内没有已记录的案例。',
    'field.goodwill_min_percent': '最低善意退款（%）',
    'field.goodwill_max_percent': '最高善意退款（%）',
    'field.custom_expectation_percent': '定制商品不符预期（%）',
    'field.gesture_percent': '小额补偿（%）',
    'field.usage_coupon_percent': '使用问题优惠券（%）',
    'field.top_gesture_percent': '最高等级额外补偿（%）',
    'field.late_major_days': '延迟视为丢失的天数',
    'field.high_value_minor': '高价值商品价格（最小货币单位）',
    'field.return_window_days': '退货期限（天）',
    'field.favour_buyer_when_odr_at_risk': '订单缺陷率有风险时优先照顾买家',
    'field.landed_cost_percent': '到岸成本（占价格 %）',
    'field.outbound_postage_percent': '重新发货运费（占价格 %）',
    'field.return_postage_percent': '退货运费（占价格 %）',
    'field.handling_percent': '退货处理费（占价格 %）',
    'field.resale_percent': '退货转售价值（占成本 %）',
    'field.parts_cost_percent': '缺失部件（占成本 %）',
    'field.warranty_cost_percent': '延长保修（占价格 %）',
    'field.return_insurance': '退货已投保',
    'field.insurance_repay_percent': '保险赔付的运费（%）',
    'field.compensation_budget_percent': '补偿预算（占 SKU 收入 %）',
    'field.prefer_cheapest_over_budget': '超出预算时推荐同等效果中最便宜的方案',
    'field.budget_window_days': '预算计算周期（天）',
    'field.same_category_points': '同类历史索赔每次加分',
    'field.frequent_threshold': '90 天内视为频繁的索赔次数',
    'field.frequent_points': '超出部分每次加分',
    'field.refund_ratio_percent': '高退款比例阈值（%）',
    'field.refund_ratio_min_cases': '…至少（退款案例数）',
    'field.refund_ratio_points': '高退款比例加分',
    'field.confirmed_points': '已确认滥用加分',
    'field.not_received_points': '每次“未收到”索赔加分',
    'field.quick_claim_hours': '快速索赔时限（小时）',
    'field.quick_claim_points': '快速索赔加分',
    'field.high_value_points': '高价值订单加分',
    'field.medium_score': '中风险分数线',
    'field.high_score': '高风险分数线',
    'field.respond_hours': '回复买家消息时限（小时）',
    'field.a_to_z_hours': '回复交易保障索赔时限（小时）',
    'field.chargeback_hours': '回复拒付时限（小时）',
  },
};

// Names the API gives (categories, tiers, actions, outcomes...), by language.
export const NAMES = {
  en: {
    wrong_item: 'Wrong item', defective: 'Defective', damaged_in_transit: 'Damaged in transit',
    missing_parts: 'Missing parts', minor_defect: 'Minor defect', packaging_damaged: 'Packaging damaged',
    not_as_described: 'Not as described', expectation_mismatch: 'Not what was expected',
    usage_question: 'Usage question', late_delivery: 'Late delivery', lost_in_transit: 'Lost in transit',
    changed_mind: 'Changed mind', wrong_size_ordered: 'Wrong size ordered',
    cancellation_request: 'Cancellation request', service_complaint: 'Service complaint',
    top: 'Top', goodwill: 'Goodwill', courtesy: 'Courtesy', firm: 'Firm',
    full_refund: 'Full refund', partial_refund: 'Partial refund', replacement: 'Replacement',
    reship_parts: 'Reship parts', exchange: 'Exchange', return_refund: 'Return and refund',
    cancel_refund: 'Cancel and refund', coupon: 'Coupon', extended_warranty: 'Extended warranty',
    carrier_claim: 'Carrier claim', explanation: 'Explanation', manual_review: 'Manual review',
    accepted: 'Accepted', declined: 'Declined', returned: 'Returned', escalated: 'Escalated',
    none: 'None', avoided: 'Avoided', posted: 'Posted', updated: 'Updated', removed: 'Removed',
    yes: 'Kept', no: 'Lost', unknown: 'Not reported',
    seller: 'Seller', carrier: 'Carrier', buyer: 'Buyer', shared: 'Shared', marketplace: 'Marketplace',
    low: 'Low', medium: 'Medium', high: 'High',
    a_to_z: 'A-to-z claim', chargeback: 'Chargeback', review_appeal: 'Review appeal',
    amazon: 'Amazon', shopify: 'Shopify', other: 'Other', email: 'E-mail', zendesk: 'Zendesk', gorgias: 'Gorgias',
  },
  'zh-CN': {
    wrong_item: '发错商品', defective: '有缺陷', damaged_in_transit: '运输损坏', missing_parts: '缺少部件',
    minor_defect: '轻微瑕疵', packaging_damaged: '包装损坏', not_as_described: '与描述不符',
    expectation_mismatch: '不符合预期', usage_question: '使用问题', late_delivery: '延迟送达',
    lost_in_transit: '运输丢失', changed_mind: '改变主意', wrong_size_ordered: '尺码选错',
    cancellation_request: '取消请求', service_complaint: '服务投诉',
    top: '最高', goodwill: '善意', courtesy: '礼貌', firm: '坚持',
    full_refund: '全额退款', partial_refund: '部分退款', replacement: '换新', reship_parts: '补发部件',
    exchange: '换货', return_refund: '退货退款', cancel_refund: '取消并退款', coupon: '优惠券',
    extended_warranty: '延长保修', carrier_claim: '承运商索赔', explanation: '解释说明', manual_review: '人工审核',
    accepted: '已接受', declined: '已拒绝', returned: '已退货', escalated: '已升级',
    none: '无', avoided: '已避免', posted: '已发布', updated: '已更新', removed: '已删除',
    yes: '保留', no: '流失', unknown: '未报告',
    seller: '卖家', carrier: '承运商', buyer: '买家', shared: '共同', marketplace: '平台',
    low: '低', medium: '中', high: '高',
    a_to_z: '亚马逊交易保障索赔', chargeback: '信用卡拒付', review_appeal: '评价申诉',
    amazon: '亚马逊', shopify: 'Shopify', other: '其他', email: '电子邮件', zendesk: 'Zendesk', gorgias: 'Gorgias',
  },
};

// The policy form's help in Chinese, keyed 'help.<field name>' as the labels
// are 'field.<field name>' (policy_fields.js names the fields, the category
// rule's three included). English has no table: its help is the spec's own
// description, carried by policy_fields.js, so it is written once.
export const HELP = {
  'zh-CN': {
    'help.goodwill_min_percent': '善意补偿可提出的最低部分退款比例（参考文章：20 %）。',
    'help.goodwill_max_percent': '善意补偿可提出的最高部分退款比例（参考文章：30 %）。',
    'help.custom_expectation_percent': '定制商品与买家想象不符时的部分退款比例（定制商品无法退回）。',
    'help.gesture_percent': '没有实际损失时的小额补偿（包装问题、服务问题、定制商品不退货）。',
    'help.usage_coupon_percent': '解答使用问题后，或延迟仍在承诺时效内时发放的优惠券（亚马逊订单不适用）。',
    'help.top_gesture_percent': '最高等级方案中“额外”的那份补偿，在全额退款或换新之外另行给予。',
    'help.late_major_days': '包裹延迟达到此天数且仍未送达时，按丢件处理。',
    'help.high_value_minor': '商品价格达到此金额起，卖家希望收回商品（0：使用该币种的默认值）。',
    'help.return_window_days': '签收后在此天数内，接受买家主观原因的退货。',
    'help.favour_buyer_when_odr_at_risk': '订单缺陷率为“有风险”或“不达标”时，遇到交易保障索赔、信用卡拒付或买家扬言给出负面卖家反馈，直接给出该类别的最高等级方案，不再争议。',
    'help.landed_cost_percent': '案例和 SKU 都没有提供单位成本时，按价格的此比例计算单位成本。',
    'help.outbound_postage_percent': '重新发货的运费，按价格的比例计。',
    'help.return_postage_percent': '退货运费，按价格的比例计。',
    'help.handling_percent': '退回商品的处理费用，按价格的比例计。',
    'help.resale_percent': '退回的（非定制）商品再次出售时仍能收回的到岸成本比例。',
    'help.parts_cost_percent': '缺失部件的成本，按到岸成本的比例计。',
    'help.warranty_cost_percent': '延长保修的成本，按价格的比例计。',
    'help.return_insurance': '卖家为退货购买了退运保险（参考文章 002：保费为订单金额的 1-3 %）。',
    'help.insurance_repay_percent': '退运保险赔付的退货运费比例（参考文章 002：70-90 %）。',
    'help.compensation_budget_percent': '卖家愿意用于补偿的 SKU 收入比例（单个 SKU 可另行设置）。',
    'help.prefer_cheapest_over_budget': 'SKU 超出补偿预算时，推荐能让买家得到同等弥补的最便宜方案。',
    'help.budget_window_days': '计算 SKU 补偿预算时统计补偿和收入的天数（截至今天）。',
    'help.same_category_points': '同一类别的每次历史索赔所加的分数（90 天内）。',
    'help.frequent_threshold': '90 天内的索赔次数超过此值后，才计入“频繁索赔”。',
    'help.frequent_points': '超出阈值后每次索赔所加的分数。',
    'help.refund_ratio_percent': '退款金额占消费金额（365 天内）达到或超过此百分比，计为“高退款比例”……',
    'help.refund_ratio_min_cases': '……且已退款的案例至少达到此数量。',
    'help.refund_ratio_points': '退款比例过高时所加的分数。',
    'help.confirmed_points': '历史结果已确认滥用时所加的分数。',
    'help.not_received_points': '每次历史“未收到货”索赔所加的分数（365 天内）。',
    'help.quick_claim_hours': '签收后在此小时数之内（含）提出的索赔，视为快速索赔。',
    'help.quick_claim_points': '快速索赔所加的分数。',
    'help.high_value_points': '高价值订单所加的分数。',
    'help.medium_score': '达到此分数即为中风险（先检查退回商品再退款，不给小额补偿）。',
    'help.high_score': '达到此分数即为高风险（等级为“坚持”，由人工决定）；须高于中风险分数线。',
    'help.respond_hours': '回复每条买家消息的时限，单位小时（亚马逊：24）。',
    'help.a_to_z_hours': '就交易保障索赔回复亚马逊的时限，单位小时（72）。',
    'help.chargeback_hours': '回复信用卡拒付的时限，单位小时（7 个自然日：168）。',
    'help.goodwill_percent': '该类别规则给出部分退款时（或因“善意”等级上限而给出时）的退款比例；须在补救方案的“最低善意退款”与“最高善意退款”之间。',
    'help.allowed_actions': '系统可为该类别选择的方案（主方案、备选方案、小额补偿、附加补偿）；“人工审核”始终可用。须至少保留该类别规则所提供方案中的一个。',
    'help.tier_ceiling': '允许的最慷慨等级；比它更慷慨的规则，改为给出该等级自己的方案。',
  },
};

// A policy field's help (f from policy_fields.js) in the current language:
// the table's when it has one, else the spec's English.
export function fieldHelp(f) {
  const table = HELP[current];
  const text = table ? table[`help.${f.name}`] : undefined;
  return text !== undefined ? text : f.help;
}

let current = pickLanguage();

function pickLanguage() {
  let stored = null;
  try { stored = localStorage.getItem(STORAGE_KEY); } catch (e) { stored = null; }
  if (LANGUAGES.includes(stored)) return stored;
  if (typeof navigator === 'undefined') return 'en'; // outside a browser (the tests read the tables)
  const preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function language() { return current; }

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* private mode: the switch lasts this page */ }
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

// t('key', {n: 3}): the string in the current language, {name}s filled in.
export function t(key, vars) {
  const table = STRINGS[current] || STRINGS.en;
  let text = table[key] !== undefined ? table[key] : STRINGS.en[key];
  if (text === undefined) text = key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (vars[name] !== undefined ? String(vars[name]) : m));
  return text;
}

// A name the API gives, in the current language (the raw name when unknown).
export function name(value) {
  if (value === null || value === undefined) return t('common.none');
  const table = NAMES[current] || NAMES.en;
  return table[value] || NAMES.en[value] || String(value).replace(/_/g, ' ');
}

const fractionDigits = new Map();
function minorDigits(currency) {
  if (!fractionDigits.has(currency)) {
    let digits = 2;
    try { digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits; } catch (e) { digits = 2; }
    fractionDigits.set(currency, digits);
  }
  return fractionDigits.get(currency);
}

// Money from minor units and an ISO 4217 code, as the API gives them.
export function money(minor, currency, options) {
  if (minor === null || minor === undefined || !currency) return t('common.none');
  const digits = minorDigits(currency);
  const value = minor / 10 ** digits;
  const opts = { style: 'currency', currency, ...(options || {}) };
  try { return new Intl.NumberFormat(current, opts).format(value); } catch (e) { return `${value} ${currency}`; }
}

// Major units typed by a person back to minor units (null when not a number).
export function toMinor(text, currency) {
  const value = Number(String(text).trim());
  if (String(text).trim() === '' || !Number.isFinite(value)) return null;
  return Math.round(value * 10 ** minorDigits(currency));
}

export function fromMinor(minor, currency) {
  return minor / 10 ** minorDigits(currency);
}

export function number(value) {
  if (value === null || value === undefined) return t('common.none');
  return new Intl.NumberFormat(current).format(value);
}

// A fraction (0.0123) as a percentage.
export function percent(fraction, digits) {
  if (fraction === null || fraction === undefined) return t('common.none');
  const d = digits === undefined ? (Math.abs(fraction) < 0.1 ? 2 : 1) : digits;
  return new Intl.NumberFormat(current, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: d }).format(fraction);
}

export function date(value) {
  if (!value) return t('common.none');
  const d = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(value + 'T00:00:00Z') : new Date(value);
  return new Intl.DateTimeFormat(current, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}

export function dateTime(value) {
  if (!value) return t('common.none');
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));
}

// A time this year without its year (lists).
export function dateTimeShort(value) {
  if (!value) return t('common.none');
  const d = new Date(value);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return new Intl.DateTimeFormat(current, { year: sameYear ? undefined : 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(d);
}

export function shortDate(value) {
  const d = new Date(value + 'T00:00:00Z');
  return new Intl.DateTimeFormat(current, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}
