namespace Medins.PaymentCollection.VillageCash;

/// <summary>A person a tenant lets take cash in one of its villages.</summary>
public sealed record CashAgent(string AgentId, string Name, string VillageCode, DateTimeOffset RegisteredAt);

/// <summary>Cash one agent took from one person, paying her order; held until a remittance hands it in.</summary>
public sealed record CashReceipt(Guid CashReceiptId, string AgentId, string VillageCode, Guid OrderId, string ResidentId,
    long AmountFen, DateTimeOffset CollectedAt, DateOnly CollectionDate);

/// <summary>A day's cash of one agent, deposited with one bank deposit slip.</summary>
public sealed record CashRemittance(Guid RemittanceId, string AgentId, string VillageCode, DateOnly CollectionDate,
    string DepositReference, long AmountFen, int ReceiptCount, DateTimeOffset RemittedAt, DateTimeOffset CutoffAt);

/// <summary>Cash of one day: all of it, what was handed in, and what is still held.</summary>
public sealed record CashBalance(long CollectedFen, int CollectedReceipts, long RemittedFen, long UnremittedFen,
    int UnremittedReceipts);

/// <summary>One village's cash of one day, over every agent registered in it.</summary>
public sealed record VillageBalance(string VillageCode, int AgentCount, CashBalance Balance);

/// <summary>One agent's cash of one day.</summary>
public sealed record AgentBalance(CashAgent Agent, CashBalance Balance);

/// <summary>Cash one agent still holds from one day.</summary>
public sealed record CashHolding(string TenantId, string AgentId, string VillageCode, DateOnly CollectionDate,
    long UnremittedFen, int ReceiptCount);
