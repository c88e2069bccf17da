using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Grpc;

/// <summary>
/// A JSON request body that does not fit its message is refused as the rest of the API refuses bad input: 400
/// INVALID_ARGUMENT with an ErrorInfo reason and the field (google.rpc.BadRequest), instead of the JSON parser's bare
/// "The input string 'abc' was not in a correct format." Only what the transcoder would fail on anyway is checked
/// (syntax, and the kind of value each known field takes); unknown body fields are left to the transcoder. A query
/// parameter that names no field of the request is refused (UNKNOWN_QUERY_PARAMETER).
/// </summary>
public sealed class JsonRequestCheckMiddleware(RequestDelegate next)
{
    public static readonly string MalformedJson = ErrorReasons.Code(PlatformReason.MalformedJson);
    public static readonly string InvalidJsonField = ErrorReasons.Code(PlatformReason.InvalidJsonField);
    public static readonly string UnknownQueryParameter = ErrorReasons.Code(PlatformReason.UnknownQueryParameter);
    private const int MaxDepth = 32;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(
        TypeRegistry.FromMessages(ErrorInfo.Descriptor, BadRequest.Descriptor, LocalizedMessage.Descriptor)));

    public async Task InvokeAsync(HttpContext context)
    {
        var transcoding = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        if (transcoding is not null && FirstUnknownQueryParameter(context.Request.Query.Keys, transcoding.MethodDescriptor.InputType) is { } unknown)
        {
            // The transcoder ignores a parameter it cannot bind: a misspelt filter would silently list everything.
            await RefuseAsync(context, (UnknownQueryParameter, unknown,
                $"'{unknown}' is not a parameter of this call; it takes the fields of its request, by their proto or JSON names."));
            return;
        }
        if (transcoding is null || string.IsNullOrEmpty(transcoding.HttpRule.Body) || context.Request.ContentLength == 0
            || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsDelete(context.Request.Method))
        {
            await next(context);
            return;
        }

        context.Request.EnableBuffering();
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        context.Request.Body.Position = 0;
        if (buffer.Length == 0)
        {
            await next(context);
            return;
        }

        var target = BodyType(transcoding.MethodDescriptor.InputType, transcoding.HttpRule.Body);
        var problem = Check(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), target, BodyPath(transcoding.HttpRule.Body));
        if (problem is null)
        {
            await next(context);
            return;
        }
        await RefuseAsync(context, problem.Value);
    }

    /// <summary>The first way the body does not fit <paramref name="type"/>, or null when it fits.</summary>
    public static (string Reason, string Field, string Description)? Check(ReadOnlyMemory<byte> body, MessageDescriptor? type,
        string prefix = "")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            var at = ex.BytePositionInLine is { } column ? $" (line {ex.LineNumber + 1}, column {column + 1})" : "";
            return (MalformedJson, "", $"The request body is not valid JSON{at}.");
        }
        using (document)
        {
            if (type is null) return null;
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (InvalidJsonField, prefix, "The request body must be a JSON object.");
            return CheckMessage(document.RootElement, type, prefix);
        }
    }

    private static (string, string, string)? CheckMessage(JsonElement value, MessageDescriptor type, string path)
    {
        foreach (var property in value.EnumerateObject())
        {
            var field = type.FindFieldByName(property.Name)
                        ?? type.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == property.Name);
            if (field is null) continue;
            var fieldPath = path.Length == 0 ? field.Name : path + "." + field.Name;
            if (property.Value.ValueKind == JsonValueKind.Null) continue;
            if (field.IsMap)
            {
                if (property.Value.ValueKind != JsonValueKind.Object) return Wrong(fieldPath, "an object");
                continue;
            }
            if (field.IsRepeated)
            {
                if (property.Value.ValueKind != JsonValueKind.Array) return Wrong(fieldPath, "a list");
                var index = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (CheckValue(item, field, $"{fieldPath}[{index++}]") is { } problem) return problem;
                }
                continue;
            }
            if (CheckValue(property.Value, field, fieldPath) is { } wrong) return wrong;
        }
        return null;
    }

    private static (string, string, string)? CheckValue(JsonElement value, FieldDescriptor field, string path)
    {
        switch (field.FieldType)
        {
            case FieldType.Message or FieldType.Group:
                // Well-known types have their own JSON forms (timestamps as strings, wrappers as plain values, …).
                if (field.MessageType.File.Package == "google.protobuf") return null;
                return value.ValueKind == JsonValueKind.Object ? CheckMessage(value, field.MessageType, path) : Wrong(path, "an object");
            case FieldType.Enum:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _)) return null;
                if (value.ValueKind == JsonValueKind.String && field.EnumType.FindValueByName(value.GetString()!) is not null) return null;
                return Wrong(path, "one of " + string.Join(", ", field.EnumType.Values.Select(v => v.Name)));
            case FieldType.Bool:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Wrong(path, "true or false");
            case FieldType.String:
                return value.ValueKind == JsonValueKind.String ? null : Wrong(path, "a string");
            case FieldType.Bytes:
                return value.ValueKind == JsonValueKind.String ? null : Wrong(path, "a base64 string");
            case FieldType.Double or FieldType.Float:
                return value.ValueKind == JsonValueKind.Number
                       || (value.ValueKind == JsonValueKind.String && (double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                           || value.GetString() is "NaN" or "Infinity" or "-Infinity"))
                    ? null : Wrong(path, "a number");
            default:
                // Integers: a JSON number; 64-bit ones also as a string of digits (the transcoder takes 32-bit ones only
                // as numbers).
                var text = value.ValueKind switch
                {
                    JsonValueKind.Number => value.GetRawText(),
                    JsonValueKind.String when field.FieldType is FieldType.Int64 or FieldType.UInt64 or FieldType.SInt64
                        or FieldType.Fixed64 or FieldType.SFixed64 => value.GetString(),
                    _ => null,
                };
                return text is not null && decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowExponent | NumberStyles.AllowDecimalPoint,
                           CultureInfo.InvariantCulture, out var number) && number == decimal.Truncate(number)
                    ? null : Wrong(path, "a whole number");
        }
    }

    /// <summary>The first query parameter that names no field (dotted for nested ones, proto or JSON names), or null.</summary>
    public static string? FirstUnknownQueryParameter(IEnumerable<string> keys, MessageDescriptor input)
    {
        foreach (var key in keys)
        {
            var type = input;
            foreach (var segment in key.Split('.'))
            {
                var field = type?.FindFieldByName(segment) ?? type?.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == segment);
                if (field is null) return key;
                type = field.FieldType == FieldType.Message ? field.MessageType : null;
            }
        }
        return null;
    }

    private static (string, string, string) Wrong(string path, string expected) =>
        (InvalidJsonField, path, $"{path} must be {expected}.");

    private static MessageDescriptor? BodyType(MessageDescriptor input, string body)
    {
        if (body == "*") return input;
        var field = input.FindFieldByName(body);
        return field?.FieldType == FieldType.Message && !field.IsRepeated ? field.MessageType : null;
    }

    private static string BodyPath(string body) => body == "*" ? "" : body;

    /// <summary>The clerk's text: which item to correct, without the parser's or the contract's vocabulary.</summary>
    public static string ClerkText((string Reason, string Field, string Description) problem) => problem.Reason switch
    {
        _ when problem.Reason == UnknownQueryParameter => $"查询条件“{problem.Field}”不是这项查询可用的条件，请去掉或改正后重新查询。",
        _ when problem.Reason == InvalidJsonField && problem.Field.Length > 0 =>
            $"“{ClerkMessages.FieldLabel(problem.Field)}”一项的填写格式不对：{Expected(problem.Description)}。请改正后重新提交。",
        _ => ClerkMessages.For(problem.Reason, Code.InvalidArgument),
    };

    /// <summary>What the field takes, in the clerk's words, from the English description <see cref="Wrong"/> wrote.</summary>
    private static string Expected(string description) => description switch
    {
        _ when description.EndsWith("a whole number.", StringComparison.Ordinal) => "应填整数",
        _ when description.EndsWith("a number.", StringComparison.Ordinal) => "应填数字",
        _ when description.Contains(" must be one of ", StringComparison.Ordinal) => "应从可选项中选择",
        _ when description.EndsWith("true or false.", StringComparison.Ordinal) => "应为“是”或“否”",
        _ when description.EndsWith("a string.", StringComparison.Ordinal) || description.EndsWith("a base64 string.", StringComparison.Ordinal) => "应填文字",
        _ when description.EndsWith("a list.", StringComparison.Ordinal) => "应为一组值",
        _ => "内容的结构不对",
    };

    private static async Task RefuseAsync(HttpContext context, (string Reason, string Field, string Description) problem)
    {
        var status = RpcErrors.Status(Code.InvalidArgument, problem.Reason, problem.Description,
            RpcErrors.DomainOf(context.RequestServices.GetRequiredService<PlatformServiceInfo>().Name),
            problem.Field.Length > 0
                ? new BadRequest
                {
                    FieldViolations = { new BadRequest.Types.FieldViolation { Field = problem.Field, Description = problem.Description } },
                }
                : null,
            clerk: ClerkText(problem));
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(Formatter.Format(status), context.RequestAborted);
    }
}
