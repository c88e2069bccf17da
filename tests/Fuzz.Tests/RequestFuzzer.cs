using System.Collections;
using System.Text;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Medins.Fuzz.Tests;

/// <summary>One generated request: what was done to it, and its payload for gRPC or its HTTP form for JSON.</summary>
public sealed record FuzzCase(string Kind, byte[]? GrpcPayload = null, HttpMethod? HttpMethod = null, string? Url = null,
    string? Body = null, string ContentType = "application/json");

/// <summary>
/// Malformed requests for any RPC, generated from its request message's descriptor (protobuf reflection), so a new
/// RPC or field is fuzzed without a line here. Each case starts from a plausible message — a fresh request id,
/// nonsense tokens that name nothing stored, zeros — and breaks one thing. Deterministic for a seed.
/// </summary>
public sealed class RequestFuzzer(int seed)
{
    private const int OverLong = 2_001;
    private readonly Random _random = new(seed);

    private static readonly string[] NonObjects = ["null", "[]", "1", "\"x\"", "true", "[{}]"];
    private static readonly string[] NotJson = ["{", "}{", "{\"a\":", "\u0000", "nul", "{'a':1}", "\uFEFF{", "{\"a\":1,}"];

    // ---- gRPC ----

    public List<FuzzCase> GrpcCases(MethodDescriptor method, int count)
    {
        var input = method.InputType;
        var cases = new List<FuzzCase>
        {
            new("missing-required-fields", Empty(input).ToByteArray()),
            new("garbage-bytes", RandomBytes(1 + _random.Next(64))),
            new("wrong-wire-type", [0x0D, 0x01, 0x02, 0x03, 0x04, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            new("truncated-length", [0x0A, 0x7F, 0x41]),
            new("invalid-utf8", InvalidUtf8(input)),
        };
        while (cases.Count < count)
        {
            var message = Plausible(input);
            var kind = Mutate(message);
            var bytes = message.ToByteArray();
            if (kind == "truncated" && bytes.Length > 1) bytes = bytes[..(1 + _random.Next(bytes.Length - 1))];
            cases.Add(new FuzzCase(kind, bytes));
        }
        return cases;
    }

    // ---- JSON transcoding ----

    public List<FuzzCase> JsonCases(MethodDescriptor method, int count)
    {
        var rule = method.GetOptions()?.GetExtension(AnnotationsExtensions.Http);
        if (rule is null || rule.PatternCase == HttpRule.PatternOneofCase.None) return [];
        var (verb, template) = rule.PatternCase switch
        {
            HttpRule.PatternOneofCase.Get => (HttpMethod.Get, rule.Get),
            HttpRule.PatternOneofCase.Post => (HttpMethod.Post, rule.Post),
            HttpRule.PatternOneofCase.Put => (HttpMethod.Put, rule.Put),
            HttpRule.PatternOneofCase.Delete => (HttpMethod.Delete, rule.Delete),
            HttpRule.PatternOneofCase.Patch => (HttpMethod.Patch, rule.Patch),
            _ => (HttpMethod.Post, rule.Custom.Path),
        };
        var input = method.InputType;
        var pathFields = PathFields(template).Select(p => input.FindFieldByName(p.Split('.')[0])).OfType<FieldDescriptor>().ToList();
        var cases = new List<FuzzCase>();
        var hasBody = rule.Body.Length > 0;

        while (cases.Count < count)
        {
            var message = Plausible(input);
            var pathValues = pathFields.ToDictionary(f => f.Name, f => Text(f, f.Accessor.GetValue(message)));
            var query = new List<(string, string)>();
            string? body = null;
            string kind;
            var pick = _random.Next(hasBody ? 10 : 6);
            if (pick == 0 && pathFields.Count > 0)
            {
                var field = pathFields[_random.Next(pathFields.Count)];
                (kind, pathValues[field.Name]) = _random.Next(4) switch
                {
                    // A NUL in the path never reaches routing: Kestrel answers 400 to the request line itself.
                    0 => ("path-invalid-utf8", "a%C0%AFb"),
                    1 => ("path-over-long", new string('7', OverLong)),
                    2 => ("path-wrong-type", "x%20y"),
                    _ => ("path-encoded-slash", "..%2F..%2Fv1"),
                };
            }
            else if (pick <= 1 || (!hasBody && pick <= 5))
            {
                // Query string: the fields not in the path (all of them without a body).
                var queryFields = input.Fields.InFieldNumberOrder()
                    .Where(f => !pathFields.Contains(f) && !f.IsRepeated && f.FieldType != FieldType.Message).ToList();
                if (queryFields.Count == 0) queryFields = pathFields;
                if (queryFields.Count == 0) { cases.Add(new FuzzCase("no-fields", HttpMethod: verb, Url: Path(template, pathValues))); continue; }
                var field = queryFields[_random.Next(queryFields.Count)];
                string value;
                (kind, value) = _random.Next(6) switch
                {
                    0 => ("query-nul", "%00"),
                    1 => ("query-over-long", new string('q', OverLong)),
                    2 => ("query-wrong-type", field.FieldType == FieldType.String ? "%FF%FE" : "abc"),
                    3 => ("query-huge-number", "99999999999999999999999"),
                    4 => ("query-negative", "-1"),
                    _ => ("query-bad-enum", "NOT_A_VALUE"),
                };
                query.Add((field.JsonName, value));
                if (_random.Next(4) == 0) query.Add((field.JsonName, value));
                if (hasBody) body = FormatJson(message, "");
            }
            else
            {
                switch (_random.Next(5))
                {
                    case 0:
                        kind = "body-not-an-object";
                        body = NonObjects[_random.Next(NonObjects.Length)];
                        break;
                    case 1:
                        kind = "body-not-json";
                        body = NotJson[_random.Next(NotJson.Length)];
                        break;
                    case 2:
                        kind = "body-wrong-json-type";
                        body = WrongJsonType(message);
                        break;
                    default:
                        kind = "body-" + Mutate(message);
                        body = FormatJson(message, kind);
                        break;
                }
            }
            var url = Path(template, pathValues) + (query.Count == 0 ? "" : "?" + string.Join("&", query.Select(q => $"{q.Item1}={q.Item2}")));
            cases.Add(new FuzzCase("json-" + kind, HttpMethod: verb, Url: url, Body: hasBody ? body ?? FormatJson(message, "") : null));
        }
        return cases;
    }

    // ---- channel notices ----

    /// <summary>Bodies a provider (or anyone) might post to a notify endpoint: not JSON objects, or objects with bad values.</summary>
    public List<(string Kind, string Body)> NoticeBodies(int count)
    {
        var bodies = new List<(string, string)>();
        foreach (var nonObject in NonObjects) bodies.Add(("notice-not-an-object", nonObject));
        foreach (var notJson in NotJson) bodies.Add(("notice-not-json", notJson));
        while (bodies.Count < count)
        {
            var outTradeNo = NewGuid().ToString("N");
            var values = new Dictionary<string, string>
            {
                ["notice_id"] = Json(Token()),
                ["merchant_id"] = Json("tax-cq-lidu"),
                ["out_trade_no"] = Json(outTradeNo),
                ["transaction_id"] = Json("T" + Token()),
                ["status"] = Json("PAID"),
                ["amount_fen"] = "38000",
                ["paid_time"] = Json("2023-11-20T09:05:00+08:00"),
            };
            var key = values.Keys.ElementAt(_random.Next(values.Count));
            var (kind, value) = _random.Next(8) switch
            {
                0 => ("notice-nul", Json(Token() + "\0" + Token())),
                1 => ("notice-over-long", Json(new string('n', 5_000))),
                2 => ("notice-wrong-type", _random.Next(2) == 0 ? "{}" : "[1]"),
                3 => ("notice-null-value", "null"),
                4 => ("notice-huge-number", "1e400"),
                5 => ("notice-negative", "-38000"),
                6 => ("notice-bad-time", Json(_random.Next(2) == 0 ? "9999-12-31T23:59:59+08:00" : "1969-12-31T00:00:00Z")),
                _ => ("notice-lone-surrogate", "\"\\ud800\""),
            };
            values[key] = value;
            bodies.Add(($"{kind}:{key}", "{" + string.Join(",", values.Select(v => $"\"{v.Key}\":{v.Value}")) + "}"));
        }
        return bodies;
    }

    // ---- generation ----

    private static IMessage Empty(MessageDescriptor type) => type.Parser.ParseFrom(ByteString.Empty);

    /// <summary>Fresh GUIDs for ids, nonsense tokens for other strings (they name nothing stored), zeros elsewhere.</summary>
    private IMessage Plausible(MessageDescriptor type)
    {
        var message = Empty(type);
        foreach (var field in type.Fields.InFieldNumberOrder())
        {
            if (field.IsRepeated || field.FieldType != FieldType.String || field.ContainingOneof is { IsSynthetic: false }) continue;
            // Ids as the services give them out (GUIDs) get past format checks to the lookups behind them.
            field.Accessor.SetValue(message, field.Name.EndsWith("_id", StringComparison.Ordinal) && _random.Next(3) > 0
                ? NewGuid().ToString()
                : Token());
        }
        return message;
    }

    /// <summary>Breaks one field of <paramref name="message"/> (or a field of a message inside it); returns what it did.</summary>
    private string Mutate(IMessage message)
    {
        var leaves = Leaves(message.Descriptor, [], 0).ToList();
        if (leaves.Count == 0) return "missing-required-fields";
        var path = leaves[_random.Next(leaves.Count)];
        var field = path[^1];
        var owner = Reach(message, path);
        object? value;
        string kind;
        switch (field.FieldType)
        {
            case FieldType.String:
                (kind, value) = _random.Next(4) switch
                {
                    0 or 1 => ("nul", Insert(Token(), "\0")),
                    2 => ("over-long", new string('s', RequestLimit(field))),
                    _ => ("lone-surrogate", Insert(Token(), "\ud800")),
                };
                break;
            case FieldType.Enum:
                kind = "bad-enum";
                value = System.Enum.ToObject(field.EnumType.ClrType, _random.Next(2) == 0 ? 999 : -7);
                break;
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                (kind, value) = Pick(("negative", (object)(-1)), ("min", int.MinValue), ("huge", int.MaxValue));
                break;
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                (kind, value) = Pick(("negative", (object)(-1L)), ("min", long.MinValue), ("huge", long.MaxValue));
                break;
            case FieldType.UInt32 or FieldType.Fixed32:
                (kind, value) = ("huge", uint.MaxValue);
                break;
            case FieldType.UInt64 or FieldType.Fixed64:
                (kind, value) = ("huge", ulong.MaxValue);
                break;
            case FieldType.Double:
                (kind, value) = Pick(("nan", (object)double.NaN), ("infinity", double.PositiveInfinity), ("negative", -1e300));
                break;
            case FieldType.Float:
                (kind, value) = ("nan", float.NaN);
                break;
            case FieldType.Bytes:
                (kind, value) = ("garbage-bytes-field", ByteString.CopyFrom(RandomBytes(_random.Next(1, 200))));
                break;
            case FieldType.Message when field.MessageType.FullName == Timestamp.Descriptor.FullName:
                (kind, value) = Pick(
                    ("timestamp-1969", (object)Timestamp.FromDateTimeOffset(new DateTimeOffset(1969, 12, 31, 12, 0, 0, TimeSpan.Zero))),
                    ("timestamp-9999", Timestamp.FromDateTimeOffset(new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero))),
                    ("timestamp-out-of-range", new Timestamp { Seconds = long.MaxValue / 2, Nanos = -5 }),
                    ("timestamp-year-1", Timestamp.FromDateTimeOffset(new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero))));
                break;
            case FieldType.Message when field.MessageType.FullName == Duration.Descriptor.FullName:
                (kind, value) = ("duration-out-of-range", new Duration { Seconds = long.MinValue / 2, Nanos = 999_999_999 });
                break;
            case FieldType.Bool:
                (kind, value) = ("flipped-bool", true);
                break;
            case FieldType.Message when field.MessageType.File.Package.StartsWith("google.", StringComparison.Ordinal):
                // A common type (date, time of day) whose every number is out of range: its zero value may be valid.
                var common = Empty(field.MessageType);
                foreach (var part in field.MessageType.Fields.InFieldNumberOrder().Where(f => f.FieldType == FieldType.Int32))
                    part.Accessor.SetValue(common, -1);
                (kind, value) = ("out-of-range-" + field.MessageType.Name, common);
                break;
            default:
                // A nested message left empty: its required fields go missing.
                (kind, value) = ("empty-nested", Empty(field.MessageType));
                break;
        }
        Assign(owner, field, value);
        return $"{kind}:{string.Join(".", path.Select(p => p.Name))}";
    }

    /// <summary>Fields to break: scalars, and fields of messages up to two levels down (well-known types are leaves).</summary>
    private static IEnumerable<FieldDescriptor[]> Leaves(MessageDescriptor type, FieldDescriptor[] prefix, int depth)
    {
        foreach (var field in type.Fields.InFieldNumberOrder())
        {
            if (field.IsMap) continue;
            FieldDescriptor[] path = [.. prefix, field];
            if (field.FieldType == FieldType.Message && !field.MessageType.File.Package.StartsWith("google.", StringComparison.Ordinal)
                && depth < 2)
            {
                foreach (var inner in Leaves(field.MessageType, path, depth + 1)) yield return inner;
                continue;
            }
            yield return path;
        }
    }

    /// <summary>The message that owns the last field of <paramref name="path"/>, creating the messages on the way.</summary>
    private static IMessage Reach(IMessage message, FieldDescriptor[] path)
    {
        var current = message;
        foreach (var field in path[..^1])
        {
            var child = Empty(field.MessageType);
            if (field.IsRepeated)
            {
                ((IList)field.Accessor.GetValue(current)).Add(child);
            }
            else if (field.Accessor.GetValue(current) is IMessage existing)
            {
                child = existing;
            }
            else
            {
                field.Accessor.SetValue(current, child);
            }
            current = child;
        }
        return current;
    }

    private static void Assign(IMessage owner, FieldDescriptor field, object value)
    {
        if (field.IsRepeated) ((IList)field.Accessor.GetValue(owner)).Add(value);
        else field.Accessor.SetValue(owner, value);
    }

    private static int RequestLimit(FieldDescriptor field) =>
        Platform.Hosting.Grpc.RequestShape.IsDocument(field) ? Platform.Hosting.Grpc.RequestShape.MaxDocumentLength + 1 : OverLong;

    /// <summary>The message's JSON with one top-level field replaced by a value of the wrong JSON type.</summary>
    private string WrongJsonType(IMessage message)
    {
        var fields = message.Descriptor.Fields.InFieldNumberOrder();
        if (fields.Count == 0) return "{\"unexpected\":1}";
        var field = fields[_random.Next(fields.Count)];
        var wrong = field.IsRepeated ? "\"not-a-list\""
            : field.FieldType switch
            {
                FieldType.String => _random.Next(2) == 0 ? "123" : "{\"a\":1}",
                FieldType.Message => "\"not-an-object\"",
                FieldType.Bool => "\"maybe\"",
                FieldType.Enum => "{}",
                _ => _random.Next(3) switch { 0 => "\"abc\"", 1 => "[1,2]", _ => "1e400" },
            };
        return $"{{\"{field.JsonName}\":{wrong}}}";
    }

    /// <summary>A serialized message whose first string field (or any field 1) holds bytes that are not UTF-8.</summary>
    private static byte[] InvalidUtf8(MessageDescriptor type)
    {
        var number = type.Fields.InFieldNumberOrder().FirstOrDefault(f => f.FieldType == FieldType.String && !f.IsRepeated)?.FieldNumber ?? 1;
        return [(byte)(number << 3 | 2), 3, 0xFF, 0xFE, 0xC0];
    }

    private static IEnumerable<string> PathFields(string template)
    {
        for (var start = template.IndexOf('{'); start >= 0; start = template.IndexOf('{', start + 1))
        {
            var end = template.IndexOf('}', start);
            yield return template[(start + 1)..end].Split('=')[0];
        }
    }

    private static string Path(string template, IReadOnlyDictionary<string, string> values)
    {
        var builder = new StringBuilder();
        var position = 0;
        for (var start = template.IndexOf('{'); start >= 0; start = template.IndexOf('{', position))
        {
            var end = template.IndexOf('}', start);
            builder.Append(template, position, start - position);
            var name = template[(start + 1)..end].Split('=')[0].Split('.')[0];
            builder.Append(values.TryGetValue(name, out var value) ? value : "x");
            position = end + 1;
        }
        return builder.Append(template, position, template.Length - position).ToString();
    }

    private static string Text(FieldDescriptor field, object? value) => value switch
    {
        string s when s.Length > 0 => Uri.EscapeDataString(s),
        string => "x",
        null => "x",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "x",
    };

    /// <summary>A GUID from the seeded generator, so a run repeats exactly.</summary>
    private Guid NewGuid() => new(RandomBytes(16));

    /// <summary>The message as JSON; a value JSON cannot express (a timestamp out of range) becomes a bad string.</summary>
    private static string FormatJson(IMessage message, string kind)
    {
        try
        {
            return JsonFormatter.Default.Format(message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // The formatter refuses a lone surrogate too; JSON can still carry one as an escape.
            var field = kind.Split(':').Last().Split('.')[0];
            var value = ex is ArgumentException ? "fz\\ud800" : "9999-99-99T99:99:99Z";
            return $"{{\"{message.Descriptor.FindFieldByName(field)?.JsonName ?? field}\":\"{value}\"}}";
        }
    }

    private (string, object) Pick(params (string, object)[] options) => options[_random.Next(options.Length)];

    private string Token() => "fz" + _random.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string Insert(string text, string inserted)
    {
        var at = _random.Next(text.Length + 1);
        return text[..at] + inserted + text[at..];
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
