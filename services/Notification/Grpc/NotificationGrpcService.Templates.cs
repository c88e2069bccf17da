using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Data;
using Medins.Notification.Domain;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;
using ErrorReason = Medins.Notification.V1.ErrorReason;

namespace Medins.Notification.Grpc;

public sealed partial class NotificationGrpcService
{
    private const int MaxBodyCharacters = 500;
    private const int MaxTemplateFieldLength = 64;

    public override async Task<PublishTemplateResponse> PublishTemplate(PublishTemplateRequest request, ServerCallContext context)
    {
        var channel = FromProtoChannel(request.Channel);
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Require(request.TemplateKey, "template_key")
            .Check(request.TemplateKey.Length <= MaxTemplateFieldLength, "template_key", $"must be at most {MaxTemplateFieldLength} characters")
            .Check(channel is not null, "channel", "must be SMS, WECHAT or LETTER")
            .Require(request.Body, "body")
            .Check(CharacterCount(request.Body) <= MaxBodyCharacters, "body", $"must be at most {MaxBodyCharacters} characters")
            .Check(request.ProviderTemplateId.Length <= 128, "provider_template_id", "must be at most 128 characters")
            .Check(request.ProviderParams.Count == request.PlaceholderNames.Count, "provider_params",
                "must have as many entries as placeholder_names: each is filled from the placeholder at its position")
            .Check(request.ProviderParams.All(p => p.Length is > 0 and <= MaxTemplateFieldLength), "provider_params",
                $"must each be 1 to {MaxTemplateFieldLength} characters")
            .ThrowIfInvalid();

        var offered = TemplateKeys.PlaceholdersOf(request.TemplateKey)
            ?? throw RpcErrors.InvalidArgument(ErrorReason.UnknownTemplateKey, $"'{request.TemplateKey}' is not a kind of message the platform sends.",
                ("template_key", "must be one of " + string.Join(", ", TemplateKeys.Placeholders.Keys) + " (or reminder-<wording>)"));
        var unknownInBody = MessageTemplate.PlaceholdersIn(request.Body).Where(n => !offered.Contains(n)).ToList();
        var unknownNames = request.PlaceholderNames.Where(n => !offered.Contains(n)).Distinct().ToList();
        if (unknownInBody.Count > 0 || unknownNames.Count > 0)
        {
            var offeredList = string.Join(", ", offered.Order(StringComparer.Ordinal));
            var violations = new List<(string, string)>();
            if (unknownInBody.Count > 0)
                violations.Add(("body", $"uses {{{string.Join("}, {", unknownInBody)}}}, which {request.TemplateKey} does not offer ({offeredList})"));
            if (unknownNames.Count > 0)
                violations.Add(("placeholder_names", $"names {string.Join(", ", unknownNames)}, which {request.TemplateKey} does not offer ({offeredList})"));
            throw RpcErrors.InvalidArgument(ErrorReason.UnknownPlaceholder,
                $"The template uses placeholders that {request.TemplateKey} messages do not fill.", [.. violations]);
        }
        if (MessageTemplate.ContainsIdNumber(request.Body))
            throw RpcErrors.InvalidArgument(ErrorReason.IdNumberInTemplate, "ID numbers never go into messages.",
                ("body", "holds an ID-number-shaped run of 18 characters"));

        var tenantId = tenant.RequireTenant();
        return await db.InTenantAsync(tenantId, (conn, tx) => requestLog.RunOnceAsync(conn, tx, tenantId, nameof(PublishTemplate),
            request.RequestId, request, PublishTemplateResponse.Parser, async () =>
            {
                var stored = await TemplateStore.InsertNextVersionAsync(conn, tx, tenantId, request.TemplateKey, channel!, request.Body,
                    request.ProviderTemplateId, [.. request.ProviderParams], [.. request.PlaceholderNames], time.UtcNow(), tenant.Client,
                    context.CancellationToken);
                return new PublishTemplateResponse { Template = ToProto(stored) };
            }, context.CancellationToken), context.CancellationToken);
    }

    public override async Task<ListTemplatesResponse> ListTemplates(ListTemplatesRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(request.TemplateKey.Length <= MaxTemplateFieldLength, "template_key", $"must be at most {MaxTemplateFieldLength} characters")
            .CheckPageSize(request.PageSize)
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var filter = $"templates|{request.TemplateKey}|{request.IncludeHistory}";
        // Ordered by key, channel and version; the token carries the last of them.
        var after = PageTokens.Decode(request.PageToken, "templates", filter, keyLength: 3);
        var afterVersion = 0;
        if (after.Length == 3 && !int.TryParse(after[2], NumberStyles.None, CultureInfo.InvariantCulture, out afterVersion))
            throw PageTokens.Invalid();
        var pageSize = PageTokens.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, (conn, tx) => TemplateStore.ListAsync(conn, tx, tenantId, request.TemplateKey,
            request.IncludeHistory, after.Length == 3 ? (after[0], after[1], afterVersion) : ("", "", 0), pageSize + 1,
            context.CancellationToken), context.CancellationToken);

        var response = new ListTemplatesResponse();
        response.Templates.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1];
            response.NextPageToken = PageTokens.Encode("templates", filter, last.TemplateKey, last.Channel,
                last.Version.ToString(CultureInfo.InvariantCulture));
        }
        return response;
    }

    private static Template ToProto(StoredTemplate stored)
    {
        var template = new Template
        {
            TemplateKey = stored.TemplateKey,
            Channel = ToProtoChannel(stored.Channel),
            Version = stored.Version,
            Body = stored.Body,
            ProviderTemplateId = stored.ProviderTemplateId,
            CreateTime = Timestamp.FromDateTimeOffset(stored.CreateTime),
            CreatedBy = stored.CreatedBy,
        };
        template.ProviderParams.AddRange(stored.ProviderParams);
        template.PlaceholderNames.AddRange(stored.PlaceholderNames);
        return template;
    }

    /// <summary>Characters as a reader counts them: a character outside the BMP is one, not two UTF-16 units.</summary>
    private static int CharacterCount(string text) => text.EnumerateRunes().Count();
}
