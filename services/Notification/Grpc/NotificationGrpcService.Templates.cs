using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Npgsql;

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
            ?? throw RpcErrors.InvalidArgument("UNKNOWN_TEMPLATE_KEY", $"'{request.TemplateKey}' is not a kind of message the platform sends.",
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
            throw RpcErrors.InvalidArgument("UNKNOWN_PLACEHOLDER",
                $"The template uses placeholders that {request.TemplateKey} messages do not fill.", [.. violations]);
        }
        if (MessageTemplate.ContainsIdNumber(request.Body))
            throw RpcErrors.InvalidArgument("ID_NUMBER_IN_TEMPLATE", "ID numbers never go into messages.",
                ("body", "holds an ID-number-shaped run of 18 characters"));

        var tenantId = tenant.RequireTenant();
        return await db.InTenantAsync(tenantId, (conn, tx) => requestLog.RunOnceAsync(conn, tx, tenantId, nameof(PublishTemplate),
            request.RequestId, request, PublishTemplateResponse.Parser, async () =>
            {
                var stored = await InsertNextVersionAsync(conn, tx, tenantId, request, channel!, context.CancellationToken);
                return new PublishTemplateResponse { Template = ToProto(stored) };
            }, context.CancellationToken), context.CancellationToken);
    }

    /// <summary>
    /// Stores the template as the next version of its key and channel. A concurrent publish that takes the same number
    /// first makes this insert wait for it and then conflict; the next attempt reads the committed version and goes on.
    /// </summary>
    private async Task<StoredTemplate> InsertNextVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        PublishTemplateRequest request, string channel, CancellationToken ct)
    {
        while (true)
        {
            await using var cmd = new NpgsqlCommand($"""
                INSERT INTO templates (tenant_id, template_key, channel, version, body, provider_template_id, provider_params,
                                       placeholder_names, create_time, created_by)
                SELECT $1, $2, $3, COALESCE(max(version), 0) + 1, $4, $5, $6, $7, $8, $9
                FROM templates WHERE tenant_id = $1 AND template_key = $2 AND channel = $3
                ON CONFLICT DO NOTHING
                RETURNING {TemplateStore.SelectColumns}
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = request.TemplateKey });
            cmd.Parameters.Add(new() { Value = channel });
            cmd.Parameters.Add(new() { Value = request.Body });
            cmd.Parameters.Add(new() { Value = request.ProviderTemplateId });
            cmd.Parameters.Add(new() { Value = request.ProviderParams.ToArray() });
            cmd.Parameters.Add(new() { Value = request.PlaceholderNames.ToArray() });
            cmd.Parameters.Add(new() { Value = time.UtcNow() });
            cmd.Parameters.Add(new() { Value = tenant.Client });
            if ((await TemplateStore.ReadAsync(cmd, ct)) is [var stored]) return stored;
        }
    }

    public override async Task<ListTemplatesResponse> ListTemplates(ListTemplatesRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(request.TemplateKey.Length <= MaxTemplateFieldLength, "template_key", $"must be at most {MaxTemplateFieldLength} characters")
            .Check(request.PageSize >= 0, "page_size", "must not be negative")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var filter = $"templates|{request.TemplateKey}|{request.IncludeHistory}";
        // Ordered by key, channel and version; the token carries the last of them.
        var after = KeyPageToken.Decode(request.PageToken, filter, keyLength: 3);
        var afterVersion = 0;
        if (after is not null && !int.TryParse(after.Key[2], out afterVersion))
            throw RpcErrors.InvalidArgument("INVALID_PAGE_TOKEN", "The page token is not one this listing issued.",
                ("page_token", "was not issued for these filters"));
        var pageSize = PageTokens.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            await using var cmd = new NpgsqlCommand($"""
                SELECT {TemplateStore.SelectColumns} FROM templates t
                WHERE tenant_id = $1 AND ($2 = '' OR template_key = $2)
                  AND ($3 OR version = (SELECT max(version) FROM templates m
                                        WHERE m.tenant_id = t.tenant_id AND m.template_key = t.template_key AND m.channel = t.channel))
                  AND (template_key, channel, version) > ($4, $5, $6)
                ORDER BY template_key, channel, version
                LIMIT $7
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = tenantId });
            cmd.Parameters.Add(new() { Value = request.TemplateKey });
            cmd.Parameters.Add(new() { Value = request.IncludeHistory });
            cmd.Parameters.Add(new() { Value = after?.Key[0] ?? "" });
            cmd.Parameters.Add(new() { Value = after?.Key[1] ?? "" });
            cmd.Parameters.Add(new() { Value = afterVersion });
            cmd.Parameters.Add(new() { Value = pageSize + 1 });
            return await TemplateStore.ReadAsync(cmd, context.CancellationToken);
        }, context.CancellationToken);

        var response = new ListTemplatesResponse();
        response.Templates.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize)
        {
            var last = rows[pageSize - 1];
            response.NextPageToken = new KeyPageToken(filter, [last.TemplateKey, last.Channel, last.Version.ToString(CultureInfo.InvariantCulture)]).Encode();
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
