using Google.Protobuf;
using Medins.Payment.V1;
using Npgsql;

namespace Medins.PaymentCollection.Tests.VillageCash;

/// <summary>What a village agent does, as calls to payment-collection's village cash service.</summary>
internal static class VillageCashSteps
{
    public const string Lidu = "cq-lidu";
    public const string Dongpo = "sc-meishan-dongpo";
    // Demo divisions (services/Migrator/DemoCity/identity_registry.sql): two of Lidu's villages under 李渡街道, and
    // Dongpo's demo village.
    public const string LiduTownship = "500102901";
    public const string LiduCommunity = "500102901001";
    public const string LiduVillage = "500102901201";
    public const string DongpoVillage = "511402901201";
    // The campaign day's cut-off at the default 17:30 (Asia/Shanghai), 8 h 30 min after PaymentPlatform.CampaignDay.
    public static readonly TimeSpan ToDefaultCutoff = TimeSpan.FromHours(8.5);
    public static readonly Google.Type.Date CampaignDate = new() { Year = 2023, Month = 11, Day = 20 };

    public static async Task<CashAgent> RegisterAgentAsync(this PaymentPlatform p, string tenantId, string agentId,
        string villageCode) =>
        (await p.VillageCash(tenantId).RegisterCashAgentAsync(new RegisterCashAgentRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            AgentId = agentId,
            Name = "代收员" + agentId,
            VillageCode = villageCode,
        })).Agent;

    public static RecordCashCollectionRequest Collection(string agentId, string residentId, long receivedFen, int tier = 0,
        string? requestId = null) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        AgentId = agentId,
        ResidentId = residentId,
        CoverageYear = 2024,
        Tier = tier,
        ReceivedAmountFen = receivedFen,
    };

    public static async Task<CashReceipt> CollectAsync(this PaymentPlatform p, string tenantId, string agentId,
        string residentId, long receivedFen, int tier = 0) =>
        (await p.VillageCash(tenantId).RecordCashCollectionAsync(Collection(agentId, residentId, receivedFen, tier))).Receipt;

    public static RemitCashRequest Remittance(string agentId, long amountFen, string? depositReference = null,
        Google.Type.Date? date = null, string? requestId = null) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        AgentId = agentId,
        CollectionDate = date ?? CampaignDate,
        DepositReference = depositReference ?? "DEP-" + Guid.NewGuid().ToString("N")[..12],
        AmountFen = amountFen,
    };

    public static async Task<CashBalance> BalanceAsync(this PaymentPlatform p, string tenantId, string agentId,
        Google.Type.Date? date = null) =>
        (await p.VillageCash(tenantId).GetAgentCashBalanceAsync(new GetAgentCashBalanceRequest
        {
            AgentId = agentId,
            Date = date ?? CampaignDate,
        })).Balance;

    public static Task<long> CountAsync(this PaymentPlatform p, string table) =>
        p.ScalarAsync<long>($"SELECT count(*) FROM payment_collection.{table}");

    /// <summary>The CashUnremitted events in the outbox, oldest first.</summary>
    public static async Task<IReadOnlyList<(string TenantId, CashUnremitted Event)>> CashUnremittedEventsAsync(this PaymentPlatform p)
    {
        await using var cmd = p.Db.Owner.CreateCommand(
            "SELECT tenant_id, payload::text FROM payment_collection.outbox WHERE topic = $1 ORDER BY created_at, event_id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = EventTopics.CashUnremitted });
        await using var reader = await cmd.ExecuteReaderAsync();
        var events = new List<(string, CashUnremitted)>();
        while (await reader.ReadAsync())
            events.Add((reader.GetString(0), JsonParser.Default.Parse<CashUnremitted>(reader.GetString(1))));
        return events;
    }
}
