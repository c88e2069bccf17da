using System.Collections.Frozen;

namespace Medins.ContributionCalculation.Domain;

/// <summary>
/// The canonical identity categories shared by every tenant (identity-registry stores these; each policy maps its
/// local codes onto them). A tenant-only category needs no code change: name it with the "local-" prefix.
/// </summary>
public static class IdentityCategories
{
    public const string LocalPrefix = "local-";

    /// <summary>Canonical category → its usual Chinese name.</summary>
    public static FrozenDictionary<string, string> All { get; } = new Dictionary<string, string>
    {
        ["tekun"] = "特困人员",
        ["dibao"] = "低保对象",
        ["dibao-edge"] = "低保边缘家庭成员",
        ["returned-to-poverty"] = "返贫致贫人口",
        ["unstable-out-of-poverty"] = "脱贫不稳定人口",
        ["edge-poverty"] = "边缘易致贫人口",
        ["sudden-hardship"] = "突发严重困难人口",
        ["out-of-poverty-sudden-hardship"] = "脱贫人口中的突发严重困难人口",
        ["stable-out-of-poverty"] = "已稳定脱贫人口",
        ["low-income"] = "低收入家庭成员",
        ["orphan"] = "孤儿",
        ["de-facto-unsupported-child"] = "事实无人抚养儿童",
        ["entitled-group"] = "享受国家定期抚恤补助的优抚对象",
        ["veteran-at-home"] = "在乡复员军人",
        ["martyr-family"] = "烈士遗属",
        ["on-duty-death-family"] = "因公牺牲军人遗属",
        ["illness-death-family"] = "病故军人遗属",
        ["on-duty-death-relative"] = "因公牺牲军人家属",
        ["ill-returned-veteran"] = "带病回乡退伍军人",
        ["war-or-test-veteran"] = "参战参试退役人员",
        ["nuclear-test-veteran"] = "参战涉核退役人员",
        ["disabled-soldier-1"] = "一级残疾军人",
        ["disabled-soldier-2"] = "二级残疾军人",
        ["disabled-soldier-3"] = "三级残疾军人",
        ["disabled-soldier-4"] = "四级残疾军人",
        ["disabled-soldier-5"] = "五级残疾军人",
        ["disabled-soldier-6"] = "六级残疾军人",
        ["disabled-soldier-7"] = "七级残疾军人",
        ["disabled-soldier-8"] = "八级残疾军人",
        ["disabled-soldier-9"] = "九级残疾军人",
        ["disabled-soldier-10"] = "十级残疾军人",
        ["family-planning-reward"] = "计划生育奖励扶助人员",
        ["family-planning-special"] = "计划生育特别扶助人员",
        ["family-planning-special-disabled-child"] = "计划生育特别扶助人员残疾子女",
        ["family-planning-surgery-complication"] = "计划生育手术并发症人员",
        ["severe-disability"] = "重度残疾人",
        ["civil-affairs-special-hardship"] = "民政部门建档的其他特殊困难人员",
        ["illness-impoverished"] = "因病致贫重病患者",
        ["land-expropriated-overage"] = "被征地农民超龄人员",
        ["hardship-university-student"] = "家庭经济困难大学生",
        ["county-designated-hardship"] = "县政府规定的其他困难人员",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static bool IsKnown(string category) =>
        All.ContainsKey(category) || (category.StartsWith(LocalPrefix, StringComparison.Ordinal) && category.Length > LocalPrefix.Length);
}

/// <summary>The kinds of <see cref="LifeEventFact"/> a policy can give rules for.</summary>
public static class LifeEventKinds
{
    public const string EmployeeInsuranceLapse = "employee-insurance-lapse";
    public const string TransferIn = "transfer-in";
    public const string NewHousehold = "new-household";
    public const string ReleasedFromPrison = "released-from-prison";
    public const string DischargedFromArmy = "discharged-from-army";
    public const string Newborn = "newborn";
    public const string NewStudent = "new-student";
    /// <summary>A university student already covered by a school-year scheme (date = when it was paid).</summary>
    public const string SchoolYearScheme = "school-year-scheme";

    /// <summary>Life-event kind → its Chinese name, as a clerk says it.</summary>
    public static FrozenDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        [EmployeeInsuranceLapse] = "职工医保中断缴费",
        [TransferIn] = "新调入",
        [NewHousehold] = "户籍新迁入",
        [ReleasedFromPrison] = "刑满释放",
        [DischargedFromArmy] = "退役（复员）",
        [Newborn] = "新生儿",
        [NewStudent] = "新生入学",
        [SchoolYearScheme] = "已参加学年制居民医保",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static FrozenSet<string> All { get; } = Names.Keys.ToFrozenSet(StringComparer.Ordinal);
}

/// <summary>Why a paid contribution may be refunded (Gaoyang §二(五)3).</summary>
public static class RefundReasons
{
    public const string Death = "death";
    public const string Army = "army";
    public const string Prison = "prison";
    public const string Duplicate = "duplicate";
    public const string EmployeeInsurance = "employee-insurance";
    public const string OtherRegion = "other-region";

    public static FrozenSet<string> All { get; } = new[] { Death, Army, Prison, Duplicate, EmployeeInsurance, OtherRegion }
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Each reason as seed 004 二（五）3 words it, for explanations.</summary>
    public static FrozenDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        [Death] = "死亡",
        [Army] = "服役",
        [Prison] = "服刑",
        [Duplicate] = "重复缴费",
        [EmployeeInsurance] = "参加职工医保",
        [OtherRegion] = "参加其他统筹地区居民医保",
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
