using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using LifeEventKind = Medins.Identity.V1.LifeEventKind;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>Life events (death, moving, employee insurance, army, prison, …): what they end or suspend, and their contract form.</summary>
public sealed partial class IdentityRegistryGrpcService
{
    public override async Task<RecordLifeEventResponse> RecordLifeEvent(RecordLifeEventRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var evidence = request.EvidenceReference.Trim();
        var occurred = request.OccurredDate.ToDateOnly();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(Guid.TryParse(request.ResidentId, out var residentId), "resident_id", "must be a UUID")
            .Check(LifeEventKindOf(request.Kind) is not null, "kind", "must be a known life event kind")
            .Check(occurred is not null, "occurred_date", "must be a full calendar date")
            .Require(evidence, "evidence_reference")
            .Check(evidence.Length <= 200 && !evidence.Any(char.IsControl), "evidence_reference", "must be at most 200 printable characters")
            .ThrowIfInvalid();
        var kind = LifeEventKindOf(request.Kind)!.Value;
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RecordLifeEvent), request.RequestId, request, RecordLifeEventResponse.Parser,
                async () =>
                {
                    var resident = await ResidentQueries.GetForUpdateAsync(conn, tx, tenantId, residentId, ct)
                        ?? throw RpcErrors.NotFound(ErrorReason.ResidentNotFound, $"No resident {residentId} in this tenant.");
                    if (resident.DeregisteredOn is not null)
                        throw RpcErrors.FailedPrecondition(ErrorReason.ResidentDeregistered, "The resident is deregistered (death or moved away).");
                    if (LifeEvents.DateProblem(occurred!.Value, resident.BirthDate, ShanghaiCalendar.Today(time)) is { } problem)
                        throw RpcErrors.InvalidArgument(ErrorReason.InvalidLifeEventDate, "occurred_date " + problem + ".", ("occurred_date", problem));
                    var now = time.UtcNow();
                    var row = new LifeEventRow(Guid.CreateVersion7(now), residentId, kind, occurred.Value, evidence, now);
                    await LifeEventQueries.InsertAsync(conn, tx, tenantId, row, ct);
                    if (LifeEvents.AffectsSuspension(kind))
                    {
                        // From all her events, in date order: a late-recorded army entry may precede a discharge.
                        var events = await LifeEventQueries.ListForAsync(conn, tx, tenantId, residentId, ct);
                        await LifeEventQueries.SetSuspensionAsync(conn, tx, tenantId, residentId,
                            LifeEvents.SuspensionAfter(events.Select(e => (e.Kind, e.OccurredOn))), ct);
                    }
                    if (LifeEvents.Deregisters(kind))
                    {
                        await LifeEventQueries.DeregisterAsync(conn, tx, tenantId, residentId, occurred.Value, ct);
                        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ResidentDeregistered, new ResidentDeregistered
                        {
                            TenantId = tenantId,
                            ResidentId = residentId.ToString(),
                            VillageCode = resident.VillageCode,
                            Reason = request.Kind,
                            DeregisteredDate = occurred.Value.ToProtoDate(),
                            EvidenceReference = evidence,
                        }, ct);
                    }
                    logger.LogInformation("Recorded life event {Kind} for resident {ResidentId}", LifeEvents.Code(kind), residentId);
                    return new RecordLifeEventResponse { LifeEvent = ToProto(row) };
                }, ct), ct);
    }

    private static LifeEvent ToProto(LifeEventRow row) => new()
    {
        LifeEventId = row.LifeEventId.ToString(),
        ResidentId = row.ResidentId.ToString(),
        Kind = ToProto(row.Kind),
        OccurredDate = row.OccurredOn.ToProtoDate(),
        EvidenceReference = row.EvidenceReference,
        RecordTime = Timestamp.FromDateTimeOffset(row.RecordedAt),
    };

    // Both ways by name, never by number: the contract's numbers are published and stay, the domain's may move.
    internal static LifeEventKind ToProto(Domain.LifeEventKind kind) => kind switch
    {
        Domain.LifeEventKind.Death => LifeEventKind.Death,
        Domain.LifeEventKind.MovedAway => LifeEventKind.MovedAway,
        Domain.LifeEventKind.EmployeeInsurance => LifeEventKind.EmployeeInsurance,
        Domain.LifeEventKind.InsuredElsewhere => LifeEventKind.InsuredElsewhere,
        Domain.LifeEventKind.Army => LifeEventKind.Army,
        Domain.LifeEventKind.Prison => LifeEventKind.Prison,
        Domain.LifeEventKind.Release => LifeEventKind.Release,
        Domain.LifeEventKind.Discharge => LifeEventKind.Discharge,
        Domain.LifeEventKind.NewbornRegistration => LifeEventKind.NewbornRegistration,
        Domain.LifeEventKind.StudentEnrolment => LifeEventKind.StudentEnrolment,
        Domain.LifeEventKind.EmployeeInsuranceEnded => LifeEventKind.EmployeeInsuranceEnded,
        Domain.LifeEventKind.TransferIn => LifeEventKind.TransferIn,
        Domain.LifeEventKind.NewHousehold => LifeEventKind.NewHousehold,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A life event kind the contract does not name."),
    };

    /// <summary>The domain's kind of a contract kind, or null for UNSPECIFIED or a number this build does not know.</summary>
    internal static Domain.LifeEventKind? LifeEventKindOf(LifeEventKind kind) => kind switch
    {
        LifeEventKind.Death => Domain.LifeEventKind.Death,
        LifeEventKind.MovedAway => Domain.LifeEventKind.MovedAway,
        LifeEventKind.EmployeeInsurance => Domain.LifeEventKind.EmployeeInsurance,
        LifeEventKind.InsuredElsewhere => Domain.LifeEventKind.InsuredElsewhere,
        LifeEventKind.Army => Domain.LifeEventKind.Army,
        LifeEventKind.Prison => Domain.LifeEventKind.Prison,
        LifeEventKind.Release => Domain.LifeEventKind.Release,
        LifeEventKind.Discharge => Domain.LifeEventKind.Discharge,
        LifeEventKind.NewbornRegistration => Domain.LifeEventKind.NewbornRegistration,
        LifeEventKind.StudentEnrolment => Domain.LifeEventKind.StudentEnrolment,
        LifeEventKind.EmployeeInsuranceEnded => Domain.LifeEventKind.EmployeeInsuranceEnded,
        LifeEventKind.TransferIn => Domain.LifeEventKind.TransferIn,
        LifeEventKind.NewHousehold => Domain.LifeEventKind.NewHousehold,
        _ => null,
    };
}
