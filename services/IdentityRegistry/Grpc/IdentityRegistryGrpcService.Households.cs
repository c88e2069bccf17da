using Grpc.Core;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting;
using EnrolmentStatus = Medins.Identity.V1.EnrolmentStatus;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>Household booklets: the booklet's own record, and the household as its members stand for a coverage year.</summary>
public sealed partial class IdentityRegistryGrpcService
{
    public override async Task<RecordHouseholdResponse> RecordHousehold(RecordHouseholdRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var householdNumber = request.HouseholdNumber.Trim();
        var villageCode = request.VillageCode.Trim();
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Require(householdNumber, "household_number")
            .Check(householdNumber.Length <= 32 && !householdNumber.Any(char.IsControl), "household_number", "must be at most 32 printable characters")
            .Require(villageCode, "village_code")
            .Check(villageCode.Length == 0 || VillageCodePattern().IsMatch(villageCode), "village_code", "must be a 12-digit village or community code")
            .Check(request.BookletMemberCount is >= 1 and <= 99, "booklet_member_count", "must be between 1 and 99")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RecordHousehold), request.RequestId, request, RecordHouseholdResponse.Parser,
                async () =>
                {
                    if (!await DivisionQueries.IsVillageAsync(conn, tx, tenantId, villageCode, ct))
                        throw RpcErrors.InvalidArgument(ErrorReason.UnknownVillage, $"'{villageCode}' is not a village or community of this tenant.",
                            ("village_code", "is not a village or community of this tenant"));
                    await HouseholdQueries.UpsertAsync(conn, tx, tenantId,
                        new HouseholdRow(householdNumber, villageCode, request.BookletMemberCount), time.UtcNow(), ct);
                    return new RecordHouseholdResponse
                    {
                        Household = new Household
                        {
                            HouseholdNumber = householdNumber, VillageCode = villageCode, BookletMemberCount = request.BookletMemberCount,
                        },
                    };
                }, ct), ct);
    }

    public override async Task<GetHouseholdResponse> GetHousehold(GetHouseholdRequest request, ServerCallContext context)
    {
        var tenantId = tenant.RequireTenant();
        var householdNumber = request.HouseholdNumber.Trim();
        new RequestValidator()
            .Require(householdNumber, "household_number")
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year between 2000 and 2100")
            .ThrowIfInvalid();
        var ct = context.CancellationToken;
        var household = await ReadResidentsAsync(tenantId, nameof(GetHousehold), async (conn, tx) =>
        {
            var booklet = await HouseholdQueries.GetAsync(conn, tx, tenantId, householdNumber, ct);
            var members = await ResidentQueries.ListByHouseholdAsync(conn, tx, tenantId, householdNumber, ct);
            if (booklet is null && members.Count == 0)
                throw RpcErrors.NotFound(ErrorReason.HouseholdNotFound, "No household with this booklet number in this tenant.");
            var enrolments = await EnrolmentQueries.ListForAsync(conn, tx, tenantId, members.Select(m => m.ResidentId).ToList(), ct);
            var facts = members.Select(m =>
            {
                var enrolment = enrolments[m.ResidentId].FirstOrDefault(e => e.CoverageYear == request.CoverageYear)?.State;
                // The member's own Resident says why she is not expected: deregistered_date, suspended_date with its
                // suspension_reason, or the year's enrolment excused_from_enrolment.
                return new HouseholdMemberFacts(m.Relationship == "head", enrolment?.Status,
                    ExpectedToEnrol: m.DeregisteredOn is null && m.Suspension is null && enrolment?.ExcusedFromEnrolment != true);
            }).ToList();
            var result = new Household
            {
                HouseholdNumber = householdNumber,
                VillageCode = booklet?.VillageCode ?? members[0].VillageCode,
                BookletMemberCount = booklet?.BookletMemberCount ?? 0,
                HeadResidentId = members.FirstOrDefault(m => m.Relationship == "head")?.ResidentId.ToString() ?? "",
                CoverageYear = request.CoverageYear,
            };
            for (var i = 0; i < members.Count; i++)
                result.Members.Add(new HouseholdMember
                {
                    Resident = ToProto(members[i], enrolments[members[i].ResidentId]),
                    Relationship = RelationshipProto(members[i].Relationship),
                    EnrolmentStatus = facts[i].Status is { } status ? ToProto(status) : EnrolmentStatus.NotEnrolled,
                });
            var problems = Households.Check(booklet?.BookletMemberCount, facts);
            result.Problems.AddRange(problems.Select(p => p switch
            {
                Domain.HouseholdProblem.BookletUnknown => Identity.V1.HouseholdProblem.BookletUnknown,
                Domain.HouseholdProblem.MembersUnregistered => Identity.V1.HouseholdProblem.MembersUnregistered,
                Domain.HouseholdProblem.HeadMissing => Identity.V1.HouseholdProblem.HeadMissing,
                Domain.HouseholdProblem.MembersNotEnrolled => Identity.V1.HouseholdProblem.MembersNotEnrolled,
                Domain.HouseholdProblem.MoreMembersThanBooklet => Identity.V1.HouseholdProblem.MoreMembersThanBooklet,
                _ => Identity.V1.HouseholdProblem.Unspecified,
            }));
            result.Complete = problems.Count == 0;
            return result;
        }, ct);
        return new GetHouseholdResponse { Household = household };
    }
}
