using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Data;
using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;
using Npgsql;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>Validating, publishing, reading and listing policy versions.</summary>
public sealed partial class ContributionCalculationGrpcService
{
    /// <summary>Far above any real policy (the shipped ones are tens of kilobytes), below gRPC's 4 MB message limit.</summary>
    private const int MaxDocumentLength = 1_000_000;

    public override Task<ValidatePolicyResponse> ValidatePolicy(ValidatePolicyRequest request, ServerCallContext context)
    {
        CheckDocument(new RequestValidator(), request.DocumentJson).ThrowIfInvalid();
        var response = new ValidatePolicyResponse();
        try
        {
            var compiled = CompiledPolicy.Load(request.DocumentJson, "", 0);
            response.Valid = true;
            response.CoverageYear = compiled.CoverageYear;
            response.AppliesTo.AddRange(compiled.TenantIds);
        }
        catch (PolicyInvalidException ex)
        {
            response.Errors.AddRange(ex.Errors.Select(e => new PolicyValidationError { Path = e.Path, Message = e.Message }));
        }
        return Task.FromResult(response);
    }

    public override async Task<PublishPolicyResponse> PublishPolicy(PublishPolicyRequest request, ServerCallContext context)
    {
        var effectiveFrom = request.EffectiveFrom.ToDateOnly();
        CheckDocument(new RequestValidator()
                .Require(request.RequestId, "request_id")
                .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters"),
                request.DocumentJson)
            .Check(effectiveFrom is not null, "effective_from", "must be a full calendar date")
            .ThrowIfInvalid();
        var compiled = CompileForPublishing(request.DocumentJson);
        var plainJson = PolicyDocumentText.ToPlainJson(request.DocumentJson);
        var ct = context.CancellationToken;

        // Each tenant's version, event and request-log entry commit together; a retry with the same request id
        // replays the tenants already published and publishes the rest.
        var response = new PublishPolicyResponse();
        foreach (var tenantId in TenantsToPublishFor(compiled))
            response.Policies.Add(await db.InTenantAsync(tenantId, (conn, tx) =>
                requestLog.RunOnceAsync(conn, tx, tenantId, nameof(PublishPolicy), request.RequestId, request, Policy.Parser,
                    () => PublishVersionAsync(conn, tx, tenantId, compiled, effectiveFrom!.Value, request.DocumentJson, plainJson, ct),
                    ct), ct));
        return response;
    }

    private async Task<Policy> PublishVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        CompiledPolicy compiled, DateOnly effectiveFrom, string documentText, string plainJson, CancellationToken ct)
    {
        // Checked here rather than with the request, so that a replay on a later day still gets its first answer.
        var today = ShanghaiCalendar.Today(time);
        if (effectiveFrom < today)
            throw RpcErrors.InvalidArgument(ErrorReason.EffectiveDateInPast,
                $"A new version cannot change how days already past were priced: effective_from must be {today:yyyy-MM-dd} or later.",
                ("effective_from", "must be today or later"));

        var version = await PolicyStore.LockNextVersionAsync(conn, tx, tenantId, compiled.CoverageYear, ct);
        var row = new PolicyRow(tenantId, compiled.CoverageYear, version,
            PolicyStore.PolicyIdOf(tenantId, compiled.CoverageYear, version), effectiveFrom, time.UtcNow(), tenant.Client,
            compiled.TenantIds, documentText);
        await PolicyStore.InsertAsync(conn, tx, row, plainJson, ct);
        await outbox.AddAsync(conn, tx, tenantId, EventTopics.PolicyPublished, new PolicyPublished
        {
            TenantId = tenantId,
            PolicyId = row.PolicyId,
            CoverageYear = row.CoverageYear,
            Version = row.Version,
            EffectiveFrom = effectiveFrom.ToProtoDate(),
        }, ct);
        logger.LogInformation("Published policy {PolicyId} effective from {EffectiveFrom} by {Client}",
            row.PolicyId, effectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), tenant.Client);
        return ToProto(row);
    }

    public override async Task<GetPolicyResponse> GetPolicy(GetPolicyRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.Version >= 0, "version", "must be 0 (the version in force) or a version number")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var row = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var version = request.Version;
            if (version == 0)
                version = (await PolicyStore.FindForDayAsync(conn, tx, tenantId, request.CoverageYear, ShanghaiCalendar.Today(time), ct))?.Version
                    ?? throw RpcErrors.NotFound(ErrorReason.PolicyNotFound, $"No contribution policy is published for coverage year {request.CoverageYear}.");
            return await PolicyStore.GetAsync(conn, tx, tenantId, request.CoverageYear, version, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.PolicyNotFound, $"Coverage year {request.CoverageYear} has no policy version {version}.");
        }, ct);
        return new GetPolicyResponse { Policy = ToProto(row) };
    }

    public override async Task<ListPoliciesResponse> ListPolicies(ListPoliciesRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .CheckPageSize(request.PageSize)
            .Check(request.CoverageYear == 0 || IsCoverageYear(request.CoverageYear), "coverage_year", "must be 0 (every year) or a year such as 2024")
            .Check(System.Enum.IsDefined(request.View), "view", "is not a known view")
            .ThrowIfInvalid();
        var pageSize = PageTokens.PageSize(request.PageSize);
        var filter = request.CoverageYear.ToString(CultureInfo.InvariantCulture);
        var after = AfterKey(PageTokens.Decode(request.PageToken, PageList, filter, keyLength: 3));
        int? year = request.CoverageYear == 0 ? null : request.CoverageYear;
        var withDocument = request.View == PolicyView.Full;
        var ct = context.CancellationToken;

        List<PolicyRow> rows;
        if (tenant.TenantId is null && tenant.IsCityScope)
            rows = await db.InCityScopeAsync(tenant.Client, "ContributionCalculationService/ListPolicies", "policies of every tenant",
                (conn, tx) => PolicyStore.ListAsync(conn, tx, null, year, after, pageSize + 1, withDocument, ct), ct);
        else
        {
            var tenantId = tenant.RequireTenant();
            rows = await db.InTenantAsync(tenantId,
                (conn, tx) => PolicyStore.ListAsync(conn, tx, tenantId, year, after, pageSize + 1, withDocument, ct), ct);
        }

        var response = new ListPoliciesResponse();
        response.Policies.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1];
            response.NextPageToken = PageTokens.Encode(PageList, filter, last.TenantId,
                last.CoverageYear.ToString(CultureInfo.InvariantCulture), last.Version.ToString(CultureInfo.InvariantCulture));
        }
        return response;
    }

    private const string PageList = "policies";

    /// <summary>The (tenant, year, version) key to continue after; the smallest key for the first page.</summary>
    private static (string TenantId, int CoverageYear, int Version) AfterKey(string[] key) =>
        key.Length == 0 ? ("", 0, 0)
        : int.TryParse(key[1], NumberStyles.None, CultureInfo.InvariantCulture, out var year)
          && int.TryParse(key[2], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (key[0], year, version)
            : throw PageTokens.Invalid();

    private static RequestValidator CheckDocument(RequestValidator validator, string document) =>
        validator
            .Require(document, "document_json")
            .Check(document.Length <= MaxDocumentLength, "document_json", $"must be at most {MaxDocumentLength} characters")
            // PostgreSQL text cannot hold NUL.
            .Check(!document.Contains('\0'), "document_json", "must not contain NUL characters");

    /// <summary>A document the engine accepts, or INVALID_ARGUMENT naming every error by its path in the document.</summary>
    private static CompiledPolicy CompileForPublishing(string document)
    {
        IReadOnlyList<PolicyError> errors;
        try
        {
            var compiled = CompiledPolicy.Load(document, "", 0);
            // The stored jsonb copy must parse too; the engine's reader and this one agree on comments and commas.
            PolicyDocumentText.ToPlainJson(document);
            return compiled;
        }
        catch (PolicyInvalidException ex)
        {
            errors = ex.Errors;
        }
        catch (JsonException ex)
        {
            errors = [new PolicyError("$", ex.Message)];
        }
        throw RpcErrors.InvalidArgument(ErrorReason.PolicyInvalid,
            $"The policy document has {errors.Count} error(s): " + string.Join("; ", errors.Take(5).Select(e => $"{e.Path}: {e.Message}")),
            [.. errors.Select(e => ("document_json" + e.Path.TrimStart('$'), e.Message))]);
    }

    /// <summary>A tenant credential publishes for its own tenant only; a city-scope credential for every tenant of the document.</summary>
    private IReadOnlyList<string> TenantsToPublishFor(CompiledPolicy compiled)
    {
        var appliesTo = compiled.TenantIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (tenant.IsCityScope)
            return appliesTo.Count > 0 ? appliesTo
                : throw RpcErrors.InvalidArgument(ErrorReason.PolicyInvalid, "The policy document applies to no tenant.",
                    ("document_json.appliesTo", "must name at least one tenant"));
        var own = tenant.RequireTenant();
        return appliesTo.Contains(own)
            ? [own]
            : throw RpcErrors.PermissionDenied(ErrorReason.TenantNotPermitted,
                $"The document applies to {string.Join(", ", appliesTo)}; a tenant credential publishes only for its own tenant ({own}).");
    }

    private static Policy ToProto(PolicyRow row)
    {
        var policy = new Policy
        {
            PolicyId = row.PolicyId,
            TenantId = row.TenantId,
            CoverageYear = row.CoverageYear,
            Version = row.Version,
            DocumentJson = row.DocumentText ?? "",
            EffectiveFrom = row.EffectiveFrom.ToProtoDate(),
            PublishTime = Timestamp.FromDateTimeOffset(row.PublishedAt),
            PublishedBy = row.PublishedBy,
        };
        policy.AppliesTo.AddRange(row.AppliesTo);
        return policy;
    }
}
