using Google.Rpc;

namespace Medins.Platform.Hosting;

/// <summary>
/// The zh-CN text every error carries (google.rpc.LocalizedMessage) beside its reason code: what happened and what
/// the clerk does next, in plain words, without the platform's internal names. One catalog for the whole platform:
/// a code means the same to a clerk whichever service sends it (each service's ErrorReason enum declares its codes,
/// and a code two services share means the same in both); a call site that knows amounts, times or names passes its
/// own text instead (<see cref="RuleViolation.ClerkText"/>). A test fails when a declared reason has no entry here.
/// </summary>
public static class ClerkMessages
{
    public const string Locale = "zh-CN";

    private const string Retry = "请稍后重试；如多次失败，请联系县医保中心。";
    private const string CheckAndResubmit = "请核对后重新提交。";
    private const string AskCounty = "请联系县医保中心。";
    private const string AskOperations = "请联系平台运维人员。";

    public static IReadOnlyDictionary<string, string> ByReason { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Requests as a whole
        ["INVALID_REQUEST"] = "提交的信息不完整或有误。" + CheckAndResubmit,
        ["INVALID_PAGE_TOKEN"] = "翻页信息已失效，请回到第一页重新查询。",
        ["MALFORMED_JSON"] = "提交的内容格式不正确，系统无法读取。请检查所用软件或联系对接人员。",
        ["INVALID_JSON_FIELD"] = "提交内容中有一项的填写格式不对。" + CheckAndResubmit,
        ["UNKNOWN_QUERY_PARAMETER"] = "查询条件中有系统不认识的一项，请去掉或改正后重新查询。",
        ["UNDECODABLE_REQUEST"] = "提交的内容格式不正确，系统无法读取。请检查所用软件或联系对接人员。",
        ["INVALID_CHARACTERS"] = "填写的内容中有无法识别的字符，请删去后重新提交。",
        ["FIELD_TOO_LONG"] = "有一项填写的内容太长，请删减后重新提交。",
        ["REQUEST_IN_PROGRESS"] = "同一笔业务正在办理中，请稍等片刻再查看结果，不要重复提交。",
        ["REQUEST_ID_REUSED"] = "这个业务流水号已用于另一笔内容不同的业务。请重新发起一笔新的业务。",
        ["CONCURRENT_CONFLICT"] = "这条记录刚被其他人修改过。请刷新后重新办理。",
        ["TOO_MANY_ROWS"] = "一次导入的行数太多，请分成几批分别导入。",
        ["INVALID_CSV_HEADER"] = "导入文件的表头与模板不一致，请使用县医保中心下发的模板。",
        ["MALFORMED_ROW"] = "导入文件中有一行格式不对，请按模板改正后重新导入。",
        ["DUPLICATE_ROW"] = "导入文件中同一人出现了两次，请删去重复的一行后重新导入。",
        ["INTERNAL"] = "系统繁忙，暂时无法办理。请稍后重试，并把追踪号告诉运维人员。",
        ["CANCELLED"] = "办理已取消，本次没有保存任何内容。如仍需办理，请重新提交。",
        ["DATABASE_UNAVAILABLE"] = "系统暂时无法保存数据，请稍后用同一业务重新提交。",

        // Callers, credentials, tenants
        ["CREDENTIAL_MISSING"] = "请求没有带上接入密钥，系统无法确认身份。请检查所用软件的接入设置。",
        ["CREDENTIAL_INVALID"] = "接入密钥无效或已停用。请向县医保中心确认密钥。",
        ["TENANT_NOT_ALLOWED"] = "当前账号无权办理所选地区的业务。请确认所选地区，或联系县医保中心开通权限。",
        ["TENANT_HEADER_INVALID"] = "所选地区无效。请重新选择地区后再办理。",
        ["TENANT_REQUIRED"] = "请先选择所属地区（县）后再办理。",
        ["TENANT_MISMATCH"] = "这条记录属于其他地区，当前账号无权查看或办理。",
        ["TENANT_NOT_PERMITTED"] = "当前账号只能为本地区发布政策。" + AskCounty,
        ["CITY_SCOPE_REQUIRED"] = "全市汇总只对市级账号开放。" + AskCounty,
        ["CITY_SCOPE_AUDIT_UNAVAILABLE"] = "市级操作的留痕暂时无法保存，本次未办理。" + Retry,
        ["ROLE_REQUIRED"] = "当前账号没有办理这项业务的权限。请联系县医保中心开通。",
        ["ROLE_NOT_DECLARED"] = "这项业务尚未开放。" + AskOperations,
        ["CALLER_SERVICE_NOT_ALLOWED"] = "系统内部调用未获授权。" + AskOperations,
        ["CALLER_ASSERTION_MISSING"] = "系统内部身份凭证缺失。" + AskOperations,
        ["CALLER_ASSERTION_MALFORMED"] = "系统内部身份凭证无法识别。" + AskOperations,
        ["CALLER_ASSERTION_SIGNATURE_INVALID"] = "系统内部身份凭证校验未通过。" + AskOperations,
        ["CALLER_ASSERTION_KEY_UNKNOWN"] = "系统内部身份凭证校验未通过。" + AskOperations,
        ["CALLER_ASSERTION_ISSUER_INVALID"] = "系统内部身份凭证校验未通过。" + AskOperations,
        ["CALLER_ASSERTION_AUDIENCE_INVALID"] = "系统内部身份凭证校验未通过。" + AskOperations,
        ["CALLER_ASSERTION_EXPIRED"] = "系统内部身份凭证已过期，请重新提交。",
        ["CALLER_ASSERTION_NOT_YET_VALID"] = "系统内部时间不一致，请稍后重新提交；如多次失败，" + AskOperations,
        ["CALLER_ASSERTION_LIFETIME_TOO_LONG"] = "系统内部身份凭证校验未通过。" + AskOperations,
        ["CALLER_ASSERTION_BODY_MISMATCH"] = "提交的内容在传送中被改动，本次未办理。请重新提交。",
        ["DAPR_API_TOKEN_INVALID"] = "系统内部消息凭证校验未通过。" + AskOperations,
        ["EVENT_PUBLISHER_NOT_ALLOWED"] = "系统内部消息来源未获授权。" + AskOperations,
        ["RATE_LIMITED_CREDENTIAL"] = "提交太频繁，请稍等片刻再办理。",
        ["RATE_LIMITED_TENANT"] = "本地区此刻办理的人太多，请稍等片刻再办理。",
        ["RATE_LIMITED_CALLBACK_ROUTE"] = "支付渠道的通知太频繁，系统稍后会再处理。",
        ["ROUTE_NOT_FOUND"] = "没有这项业务（地址有误）。请检查所用软件的接入设置。",
        ["UPSTREAM_UNAVAILABLE"] = "相关业务系统暂时无法连接。" + Retry,
        ["UPSTREAM_FAILED"] = "相关业务系统处理出错。" + Retry,
        ["UPSTREAM_INVALID_RESPONSE"] = "相关业务系统的答复无法识别。" + Retry,
        ["UPSTREAM_NOT_FOUND"] = "相关业务系统中查不到这条记录。请核对后重新查询。",
        ["UPSTREAM_REJECTED_REQUEST"] = "相关业务系统拒绝了这次办理。" + CheckAndResubmit,

        // Residents and identities (identity-registry)
        ["INVALID_NATIONAL_ID"] = "身份证号码不正确（位数或校验位不对）。请对照身份证核对后重新填写。",
        ["INVALID_PHONE"] = "手机号码不正确，请填写11位手机号码。",
        ["INVALID_COVERAGE_YEAR"] = "参保年度不正确。请选择正确的年度。",
        ["INVALID_TIER"] = "缴费档次不正确。请从可选档次中选择。",
        ["INVALID_DISABILITY_GRADE"] = "残疾等级不正确，请按残疾证填写（一级至四级）。",
        ["INVALID_LIFE_EVENT_DATE"] = "填写的日期不正确。请核对证明材料上的日期后重新填写。",
        ["INVALID_ADMISSION_DATE"] = "入院日期不正确。请核对后重新填写。",
        ["INVALID_AMOUNT"] = "金额不正确（不能为负数）。请核对金额后重新提交。",
        ["INVALID_VALIDITY"] = "认定的有效期不正确（结束日期早于开始日期）。请核对后重新导入。",
        ["BIRTH_DATE_MISMATCH"] = "出生日期与身份证号码中的不一致。请对照身份证核对。",
        ["RESIDENT_NOT_FOUND"] = "查不到这位居民的登记信息。请核对身份证号码，或先办理参保登记。",
        ["RESIDENT_NOT_REGISTERED"] = "这位居民尚未登记。请先办理参保登记。",
        ["RESIDENT_ALREADY_REGISTERED"] = "这位居民已经登记过，无需重复登记。",
        ["RESIDENT_DEREGISTERED"] = "这位居民已注销登记（如死亡、迁出），不能再办理缴费。如有疑问，" + AskCounty,
        ["UNKNOWN_RESIDENT"] = "查不到这位居民的登记信息。请核对身份证号码。",
        ["ALREADY_ENROLLED"] = "这位居民本年度已经参保，无需重复办理。",
        ["HOUSEHOLD_NOT_FOUND"] = "查不到这个户口簿的登记信息。请核对户号。",
        ["HOUSEHOLD_HAS_HEAD"] = "这个户口簿已经登记了户主，不能再登记第二位户主。",
        ["IDENTITY_NOT_FOUND"] = "查不到这条身份认定记录。请核对后重新查询。",
        ["IDENTITY_ALREADY_REVOKED"] = "这条身份认定已经撤销，无需重复撤销。",
        ["UNKNOWN_CODE"] = "身份类别代码不在本地政策的目录中。请按县医保中心下发的目录填写。",
        ["MISSING_CODE"] = "没有填写身份类别。请补充后重新导入。",
        ["MISSING_DEPARTMENT"] = "没有填写认定部门。请补充后重新导入。",
        ["DEPARTMENT_MISMATCH"] = "认定部门与身份类别不符（该类身份应由其他部门认定）。请核对后重新导入。",
        ["UNKNOWN_VILLAGE"] = "查不到这个村（社区）。请核对村（社区）名称或代码。",
        ["VILLAGE_NOT_FOUND"] = "查不到这个村（社区）。请核对村（社区）名称或代码。",
        ["AGENT_NOT_FOUND"] = "查不到这位村级代收员。请核对代收员编号。",
        ["AGENT_NOT_REGISTERED"] = "这位村级代收员尚未登记，不能代收现金。请先到县医保中心登记。",
        ["AGENT_ALREADY_REGISTERED"] = "这位村级代收员已经登记过，无需重复登记。",

        // Policies and quotes (contribution-calculation)
        ["POLICY_NOT_FOUND"] = "本地区本年度的缴费政策尚未发布。" + AskCounty,
        ["POLICY_INVALID"] = "政策文件有误，未能发布。请按提示改正后重新提交。",
        ["POLICY_NOT_YET_EFFECTIVE"] = "本年度的缴费政策尚未生效，请在生效日期之后再办理。",
        ["EFFECTIVE_DATE_IN_PAST"] = "生效日期不能早于今天。请改为今天或以后的日期。",
        ["UNKNOWN_TIER"] = "本地政策中没有这个缴费档次。请从可选档次中选择。",
        ["TIER_NOT_ALLOWED"] = "这位居民不能选择这个缴费档次。请从可选档次中选择。",
        ["UNKNOWN_PERSON_GROUP"] = "本地政策中没有这个人员类别。请按县医保中心下发的目录填写。",
        ["NOT_ELIGIBLE"] = "这位居民不符合本年度的参保条件。如有疑问，" + AskCounty,
        ["NO_BENEFIT_IN_COVERAGE_YEAR"] = "按政策，这位居民在本年度已无待遇期，不能缴费。如有疑问，" + AskCounty,
        ["OUTSIDE_COLLECTION_PERIOD"] = "现在不在本年度的集中征缴期内，不能办理缴费。" + AskCounty,
        ["NO_COLLECTION_PERIOD"] = "本年度的征缴期尚未公布。" + AskCounty,
        ["SETTLEMENT_DAYS"] = "今天不在本月可以缴费的日期内。请在下一个可缴费日再办理。",
        ["QUOTE_EXPIRED"] = "应缴金额已过时，请重新核定金额后再缴费。",
        ["QUOTE_NOT_FROM_THIS_POLICY"] = "这笔应缴金额不是按现行政策核定的，请重新核定金额。",
        ["REFUND_REASON_NOT_IN_POLICY"] = "本地政策不允许以这个理由退费。" + AskCounty,
        ["BENEFITS_ALREADY_STARTED"] = "待遇期已经开始，按政策不能退费。" + AskCounty,
        ["NO_DIFFERENTIAL_REFUND"] = "按政策，身份变更后没有差额可退。",
        ["NOTHING_TO_REFUND"] = "没有可退的金额。",
        ["COVERAGE_YEAR_MISMATCH"] = "参保年度与缴费记录不一致。请核对年度。",

        // Orders, payments, refunds (payment-collection)
        ["ORDER_NOT_FOUND"] = "查不到这笔缴费单。请核对缴费单号。",
        ["ORDER_NOT_PAID"] = "这笔缴费单还没有付款，不能办理退费。",
        ["ORDER_NOT_CANCELLABLE"] = "这笔缴费单已付款或已关闭，不能撤销。",
        ["ORDER_EXPIRED"] = "这笔缴费单已过期。请重新开单后再缴费；如已扣款，款项会转人工核对。",
        ["ORDER_CANCELLED"] = "这笔缴费单已撤销。请重新开单后再缴费；如已扣款，款项会转人工核对。",
        ["INVALID_ORDER_TRANSITION"] = "这笔缴费单当前的状态不能办理这项业务。请刷新后查看缴费单状态。",
        ["ALREADY_PAID"] = "这位居民本年度已经缴过费，无需重复缴费。",
        ["AMOUNT_MISMATCH"] = "收到的金额与应缴金额不一致。请核对金额后重新提交。",
        ["DUPLICATE_PAYMENT"] = "这位居民本年度已经缴过费，这笔是重复付款，已转人工核对后退还。",
        ["CHANNEL_TRANSACTION_REUSED"] = "这笔支付流水已用于另一张缴费单，已转人工核对。",
        ["PAID_TIME_OUT_OF_RANGE"] = "付款时间不合理（早于开单或晚于现在）。请核对付款凭证上的时间。",
        ["PAYMENT_NOT_CONFIRMED"] = "这笔付款尚未确认到账，不能这样处理。请等到账后再办理。",
        ["REFUND_NOT_FOUND"] = "查不到这笔退费。请核对退费单号。",
        ["REFUND_ALREADY_REQUESTED"] = "这笔缴费已经申请过退费，请等待退费办理结果。",
        ["REFUND_ALREADY_COMPLETED"] = "这笔退费已经办结，无需重复办理。",
        ["ALREADY_REFUNDED"] = "这笔缴费已经退过费。",
        ["HOUSEHOLD_ORDER_NOT_FOUND"] = "查不到这笔家庭缴费单。请核对单号。",
        ["HOUSEHOLD_INCOMPLETE"] = "家庭成员信息不完整，不能按户缴费。请先补全户内成员登记。",
        ["NOT_A_HOUSEHOLD_MEMBER"] = "所选的人不在这个户口簿上。请核对户内成员。",
        ["HOUSEHOLD_NOTHING_TO_PAY"] = "这一户本年度没有需要缴费的成员。",
        ["HOUSEHOLD_MEMBER_ORDER"] = "这位成员属于家庭缴费单，请按户缴费，不要单独付款。",
        ["HOUSEHOLD_MEMBERS_CHANGED"] = "户内有成员已单独缴费，家庭缴费单的金额已不对。请重新按户开单。",
        ["STALE_NOTICE"] = "支付渠道的通知已过时，系统已忽略。",
        ["BAD_SIGNATURE"] = "支付渠道的通知校验未通过，系统已拒收。",
        ["MALFORMED_NOTICE"] = "支付渠道的通知内容无法识别，系统已拒收。",
        ["UNKNOWN_MERCHANT"] = "支付渠道的通知不属于本地区的商户，系统已拒收。",
        ["UNKNOWN_ORDER"] = "支付渠道通知的缴费单查不到，已转人工核对。",
        ["CHANNEL_MISMATCH"] = "付款渠道与缴费单选择的渠道不一致，已转人工核对。",
        ["NOT_KEPT"] = "支付渠道的通知暂未保存，渠道会再次通知。",
        ["CHANNEL_UNAVAILABLE"] = "支付渠道暂时无法连接。" + Retry,
        ["CHANNEL_REFUSED"] = "支付渠道拒绝了这次办理。请稍后重试或改用其他缴费方式。",
        ["CHANNEL_BAD_RESPONSE"] = "支付渠道的答复无法识别。" + Retry,
        ["CHANNEL_NOT_CONFIGURED"] = "本地区尚未开通这个缴费渠道。请改用其他缴费方式，或联系县医保中心。",

        // Payment reviews (money received that no order may keep)
        ["REVIEW_NOT_FOUND"] = "查不到这条待核对款项。请刷新后重新查看。",
        ["REVIEW_ALREADY_RESOLVED"] = "这条待核对款项已经处理过，无需重复处理。",
        ["ALREADY_RESOLVED"] = "这条差错已经处理过，无需重复处理。",
        ["REVIEW_CARRIES_NO_MONEY"] = "这条待核对记录没有实际到账的钱，不能用来缴费。",
        ["REVIEW_MONEY_HELD_ELSEWHERE"] = "这笔钱已经记在另一张缴费单上，不能再转给其他缴费单。",
        ["REVIEW_REFERENCE_UNKNOWN"] = "查不到要转入的缴费单。请核对缴费单号。",
        ["REVIEW_TARGET_ALREADY_PAID"] = "要转入的缴费单已经付过款，不能再转入。",
        ["REVIEW_TARGET_NOT_PAYABLE"] = "要转入的缴费单已过期或已撤销，不能转入。请重新开单。",
        ["REVIEW_TARGET_OTHER_PERSON"] = "要转入的缴费单属于另一位居民，不能转入。请核对居民身份。",

        // Village cash
        ["CASH_AMOUNT_MISMATCH"] = "解缴金额与当天未解缴的现金合计不一致。请核对金额后重新提交。",
        ["NOTHING_TO_REMIT"] = "这位代收员当天没有未解缴的现金。",
        ["DEPOSIT_REFERENCE_REUSED"] = "这张银行存款凭证已经登记过。请核对凭证号。",
        ["RESIDENT_NOT_IN_AGENT_VILLAGE"] = "这位居民不属于代收员所在的村（社区），不能由其代收。",

        // Reconciliation
        ["MALFORMED_STATEMENT"] = "对账单文件格式不对，无法读取。请从支付渠道重新下载对账单。",
        ["STATEMENT_ALREADY_IMPORTED"] = "这一天的对账单已经导入过，无需重复导入。",
        ["STATEMENT_DAY_NOT_OVER"] = "这一天还没有结束，不能导入当天的对账单。请次日再导入。",
        ["STATEMENT_NOT_CURRENT"] = "这份对账单已被新导入的对账单取代。请处理最新一份的差错。",
        ["STATEMENT_HAS_RESOLUTIONS"] = "这份对账单的差错已有处理记录，不能重新导入。" + AskCounty,
        ["DISCREPANCY_NOT_FOUND"] = "查不到这条对账差错。请刷新后重新查看。",
        ["DISCREPANCY_SUPERSEDED"] = "这条差错已被新导入的对账单取代。请处理最新的差错。",
        ["ACTION_NOT_ALLOWED"] = "这种差错不能这样处理。请选择其他处理方式。",
        ["NOT_LISTED_BY_CHANNEL"] = "支付渠道的对账单中没有这笔交易，不能这样处理。",

        // Notification
        ["CAMPAIGN_NOT_FOUND"] = "查不到这次催缴通知。请刷新后重新查看。",
        ["CAMPAIGN_CLOSED"] = "本年度核减任务的办理期限已过，不能再核减。" + AskCounty,
        ["CAMPAIGN_FINISHED"] = "这次催缴通知已发送完毕，不能再修改。",
        ["CAMPAIGN_CANCELLED"] = "这次催缴通知已取消。",
        ["DEADLINE_PASSED"] = "截止日期已过。请改为今天以后的日期。",
        ["DEADLINE_OUTSIDE_COLLECTION_PERIOD"] = "截止日期不在本年度征缴期内。请改为征缴期内的日期。",
        ["TEMPLATE_NOT_FOUND"] = "查不到这个通知模板。请核对模板名称。",
        ["UNKNOWN_TEMPLATE_KEY"] = "没有这个通知模板。请从可选模板中选择。",
        ["UNKNOWN_PLACEHOLDER"] = "模板中有系统无法填写的内容项。请按可用的内容项修改模板。",
        ["ID_NUMBER_IN_TEMPLATE"] = "通知模板中不能出现身份证号码，以保护居民隐私。请删去后重新提交。",
        ["OPTED_OUT"] = "这位居民已选择不接收通知。",
        ["NO_CONTACT"] = "这位居民没有登记联系方式，无法发送通知。",
        ["EXCUSED_BY_REFUND"] = "这位居民已办理退费，无需再催缴。",

        // Quota tracking
        ["NO_QUOTA_RULES"] = "本年度的任务考核规则尚未发布。" + AskCounty,
        ["QUOTA_RULES_INVALID"] = "任务考核规则有误，未能发布。请按提示改正后重新提交。",
        ["NO_TARGET"] = "这个村（社区）本年度还没有下达任务数。请先下达任务。",
        ["INVALID_TARGETS"] = "有的任务数不能设置。请按提示改正后重新提交。",
        ["REDUCTIONS_NOT_GRANTED"] = "本年度的考核规则不允许核减任务。",
        ["REDUCTION_EXCEEDS_BASE"] = "核减人数超过了这个村（社区）的应参保人数。请核对人数。",
        ["EVIDENCE_ALREADY_USED"] = "这份证明材料已经用于核减任务，不能重复使用。",
        ["NO_PROGRESS_SCHEDULE"] = "本年度的考核规则没有设定排名日，请查看实时排名。",
        ["NO_RANKING_DAYS"] = "本年度的考核规则没有设定排名日，请查看实时排名。",
        ["NOT_A_RANKING_DAY"] = "所选日期不是排名日。请选择考核规则规定的排名日。",
        ["NOT_A_SNAPSHOT_DAY"] = "所选日期不是每周统计日。请选择统计日。",
        ["SNAPSHOT_NOT_FOUND"] = "所选日期没有留存统计数据。请选择其他日期。",
    };

    /// <summary>Fields as the clerk's form names them (by the last segment of a field path); others keep their name.</summary>
    private static readonly IReadOnlyDictionary<string, string> FieldLabels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["request_id"] = "业务流水号", ["coverage_year"] = "参保年度", ["page_size"] = "每页条数", ["page_token"] = "翻页信息",
        ["village_code"] = "村（社区）代码", ["resident_id"] = "居民编号", ["resident_ids"] = "居民编号", ["national_id"] = "身份证号码",
        ["name"] = "姓名或名称", ["phone"] = "手机号码", ["household_number"] = "户号", ["household_order_id"] = "家庭缴费单号",
        ["order_id"] = "缴费单号", ["channel"] = "缴费渠道", ["agent_id"] = "代收员编号", ["tier"] = "缴费档次", ["note"] = "备注",
        ["reason"] = "原因", ["evidence_reference"] = "证明材料编号", ["reference"] = "凭证号", ["payment_date"] = "缴费日期",
        ["paid_time"] = "付款时间", ["amount_fen"] = "金额", ["received_amount_fen"] = "实收金额",
        ["paid_personal_amount_fen"] = "个人已缴金额", ["deposit_reference"] = "存款凭证号", ["collection_date"] = "收款日期",
        ["channel_transaction_id"] = "支付流水号", ["refund_id"] = "退费单号", ["refund_reference"] = "退款凭证号",
        ["review_id"] = "待核对款项编号", ["discrepancy_id"] = "差错编号", ["statement_date"] = "对账日期", ["content"] = "文件内容",
        ["deadline"] = "截止日期", ["campaign_id"] = "催缴通知编号", ["template_key"] = "通知模板", ["person_count"] = "人数",
        ["effective_from"] = "生效日期", ["event_date"] = "事由发生日期", ["occurred_date"] = "发生日期", ["decision_date"] = "认定日期",
        ["admission_date"] = "入学日期", ["benefit_start_date"] = "待遇开始日期", ["cutoff_time"] = "解缴截止时间",
        ["ranking_date"] = "排名日期", ["snapshot_date"] = "统计日期", ["relationship"] = "与户主关系", ["identity_id"] = "身份认定编号",
        ["csv_text"] = "导入文件", ["rows"] = "导入行", ["booklet_member_count"] = "户口簿人数", ["division_code"] = "行政区划代码",
        ["document_json"] = "政策文件", ["policy_version"] = "政策版本",
    };

    /// <summary>"金额" for amount_fen, "参保年度" for target.coverage_year; the path itself for a field with no label.</summary>
    public static string FieldLabel(string path)
    {
        var last = path[(path.LastIndexOf('.') + 1)..];
        var bracket = last.IndexOf('[');
        if (bracket >= 0) last = last[..bracket];
        return FieldLabels.TryGetValue(last, out var label) ? label : path;
    }

    /// <summary>The catalog's text for a reason; for a reason it lacks, a text by status code (never empty).</summary>
    public static string For(string? reason, Code code) =>
        reason is not null && ByReason.TryGetValue(reason, out var text) ? text : ByCode(code);

    private static string ByCode(Code code) => code switch
    {
        Code.InvalidArgument or Code.OutOfRange => "提交的信息有误。" + CheckAndResubmit,
        Code.FailedPrecondition => "当前情况下不能办理这项业务。" + AskCounty,
        Code.NotFound => "查不到要办理的记录。请核对后重新查询。",
        Code.AlreadyExists => "这项业务已经办理过，无需重复办理。",
        Code.Aborted => "这条记录刚被其他人修改过。请刷新后重新办理。",
        Code.PermissionDenied => "当前账号没有办理这项业务的权限。" + AskCounty,
        Code.Unauthenticated => "无法确认身份。请检查接入密钥或重新登录。",
        Code.ResourceExhausted => "提交太频繁，请稍等片刻再办理。",
        Code.Unavailable => "系统暂时无法办理。" + Retry,
        Code.DeadlineExceeded => "系统响应超时。请稍后查看办理结果，未办成再重新提交。",
        Code.Cancelled => "办理已取消。",
        Code.Unimplemented => "这项业务尚未开放。" + AskOperations,
        _ => "系统繁忙，暂时无法办理。请稍后重试，并把追踪号告诉运维人员。",
    };
}
