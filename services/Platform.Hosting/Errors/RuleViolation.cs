using System.Collections.Concurrent;
using System.Reflection;
using Google.Protobuf.Reflection;

namespace Medins.Platform.Hosting;

/// <summary>
/// The gRPC status a refusal maps to. The same numbers as gRPC's codes, declared here so a domain core that refuses
/// something names the kind of refusal without depending on gRPC.
/// </summary>
public enum RefusalStatus
{
    Cancelled = 1,
    InvalidArgument = 3,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Internal = 13,
    Unavailable = 14,
    Unauthenticated = 16,
}

/// <summary>A field of the request and what is wrong with it (a google.rpc.BadRequest field violation).</summary>
public sealed record FieldProblem(string Field, string Description);

/// <summary>
/// The platform's one error type: a rule refused the request. It carries the reason code clients branch on (an
/// ErrorInfo reason, declared once per service as its <c>ErrorReason</c> proto enum), the status, the facts the
/// caller needs to act (ErrorInfo metadata), the fields at fault, and optionally the clerk's zh-CN text when the
/// thrower knows amounts, names or times (else the catalog's). Domain cores, stores and handlers throw it; the shared
/// <c>ErrorMappingInterceptor</c> turns it into a gRPC status with google.rpc details and the service's error domain.
/// </summary>
public sealed class RuleViolation : Exception
{
    public RuleViolation(string reason, RefusalStatus status, string message,
        IReadOnlyDictionary<string, string>? facts = null, string? clerk = null, IReadOnlyList<FieldProblem>? fields = null,
        Exception? inner = null) : base(message, inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Reason = reason;
        Status = status;
        Facts = facts ?? EmptyFacts;
        ClerkText = clerk;
        Fields = fields ?? [];
    }

    /// <param name="reason">A value of a service's <c>ErrorReason</c> proto enum (see <see cref="ErrorReasons.Code"/>).</param>
    public RuleViolation(Enum reason, RefusalStatus status, string message,
        IReadOnlyDictionary<string, string>? facts = null, string? clerk = null, IReadOnlyList<FieldProblem>? fields = null,
        Exception? inner = null) : this(ErrorReasons.Code(reason), status, message, facts, clerk, fields, inner)
    {
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyFacts = new Dictionary<string, string>();

    /// <summary>The ErrorInfo reason, UPPER_SNAKE_CASE (AIP-193).</summary>
    public string Reason { get; }

    public RefusalStatus Status { get; }

    /// <summary>ErrorInfo metadata: what the caller needs to act (the order, the amount due, the next possible date).</summary>
    public IReadOnlyDictionary<string, string> Facts { get; }

    /// <summary>The clerk's zh-CN text, or null for the catalog's text of <see cref="Reason"/>.</summary>
    public string? ClerkText { get; }

    public IReadOnlyList<FieldProblem> Fields { get; }
}

/// <summary>
/// Reason codes from the <c>ErrorReason</c> proto enums: each value's proto name without its enum's prefix
/// (<c>ERROR_REASON_ALREADY_PAID</c> is sent as <c>ALREADY_PAID</c>), so the wire keeps AIP-193's short codes while
/// buf's STANDARD rules keep the prefixed names in the contract.
/// </summary>
public static class ErrorReasons
{
    private static readonly ConcurrentDictionary<Enum, string> Codes = new();

    /// <summary>The code of a value of a known ErrorReason enum: read once per enum type, no boxing, so callers on the
    /// payment path (an upstream call's NOT_FOUND reason, a confirmation's refusal) pay a dictionary lookup only.</summary>
    public static string Code<TReason>(TReason reason) where TReason : struct, Enum =>
        ReasonCodes<TReason>.ByValue.TryGetValue(reason, out var code) ? code : Code((Enum)reason);

    private static class ReasonCodes<TReason> where TReason : struct, Enum
    {
        // Values that are no reason (UNSPECIFIED, another enum's) are left out: Code(Enum) refuses them by name.
        public static readonly Dictionary<TReason, string> ByValue = Enum.GetValues<TReason>()
            .Select(v => (Value: v, Code: TryCode(v, out _)))
            .Where(v => v.Code is not null)
            .ToDictionary(v => v.Value, v => v.Code!);
    }

    public static string Code(Enum reason) => Codes.GetOrAdd(reason, static value =>
        TryCode(value, out var problem) ?? throw new ArgumentException(problem, nameof(reason)));

    private static string? TryCode(Enum value, out string problem)
    {
        var name = value.ToString();
        var original = value.GetType().GetField(name, BindingFlags.Public | BindingFlags.Static)
            ?.GetCustomAttribute<OriginalNameAttribute>()?.Name;
        var prefix = original?.IndexOf("ERROR_REASON_", StringComparison.Ordinal) ?? -1;
        if (original is null || prefix < 0 || original.EndsWith("_UNSPECIFIED", StringComparison.Ordinal))
        {
            problem = $"{value.GetType().Name}.{name} is not a reason of an ErrorReason proto enum.";
            return null;
        }
        problem = "";
        return original[(prefix + "ERROR_REASON_".Length)..];
    }

    /// <summary>Every reason code an ErrorReason enum declares (its UNSPECIFIED value excepted).</summary>
    public static IReadOnlyList<string> All(Type errorReasonEnum) =>
        [.. Enum.GetValues(errorReasonEnum).Cast<Enum>()
            .Where(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) != 0).Select(Code)];
}
