using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Google.Protobuf;
using Grpc.Core;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting;

/// <summary>
/// Refusals (<see cref="RuleViolation"/>) and the gRPC errors they leave as, with <c>google.rpc</c> details: an ErrorInfo whose reason code clients branch on, field violations
/// for bad input, and a zh-CN LocalizedMessage for the clerk (the <paramref name="clerk"/> text when the call site
/// knows amounts, times or names, else <see cref="ClerkMessages"/>). The JSON API maps the status code to an HTTP
/// status.
/// </summary>
public static class RpcErrors
{
    /// <summary>The ErrorInfo domain of a service's errors: its app id under <c>medins</c> (AIP-193: the service
    /// that raised the error), e.g. <c>identity-registry.medins</c>.</summary>
    public static string DomainOf(string appId) => appId + ".medins";

    public static RuleViolation InvalidArgument(string reason, string message, params (string Field, string Description)[] violations) =>
        InvalidArgumentFor(reason, message, null, violations);

    /// <summary>INVALID_ARGUMENT with the clerk's own zh-CN text.</summary>
    public static RuleViolation InvalidArgument(string reason, string message, string clerk,
        params (string Field, string Description)[] violations) => InvalidArgumentFor(reason, message, clerk, violations);

    private static RuleViolation InvalidArgumentFor(string reason, string message, string? clerk,
        (string Field, string Description)[] violations) =>
        new(reason, RefusalStatus.InvalidArgument, message, clerk: clerk,
            fields: [.. violations.Select(v => new FieldProblem(v.Field, v.Description))]);

    public static RuleViolation NotFound(string reason, string message, string? clerk = null) => new(reason, RefusalStatus.NotFound, message, clerk: clerk);
    public static RuleViolation FailedPrecondition(string reason, string message, string? clerk = null) => new(reason, RefusalStatus.FailedPrecondition, message, clerk: clerk);
    public static RuleViolation AlreadyExists(string reason, string message, string? clerk = null) => new(reason, RefusalStatus.AlreadyExists, message, clerk: clerk);
    public static RuleViolation PermissionDenied(string reason, string message, string? clerk = null) => new(reason, RefusalStatus.PermissionDenied, message, clerk: clerk);
    public static RuleViolation Unavailable(string reason, string message, string? clerk = null) => new(reason, RefusalStatus.Unavailable, message, clerk: clerk);
    public static RuleViolation Internal(string reason, string message, string? clerk = null) => new(reason, RefusalStatus.Internal, message, clerk: clerk);

    // The same, for a value of a service's ErrorReason proto enum (the reason's one declaration).
    public static RuleViolation InvalidArgument(System.Enum reason, string message, params (string Field, string Description)[] violations) =>
        InvalidArgumentFor(ErrorReasons.Code(reason), message, null, violations);
    public static RuleViolation InvalidArgument(System.Enum reason, string message, string clerk,
        params (string Field, string Description)[] violations) => InvalidArgumentFor(ErrorReasons.Code(reason), message, clerk, violations);
    public static RuleViolation NotFound(System.Enum reason, string message, string? clerk = null) => NotFound(ErrorReasons.Code(reason), message, clerk);
    public static RuleViolation FailedPrecondition(System.Enum reason, string message, string? clerk = null) => FailedPrecondition(ErrorReasons.Code(reason), message, clerk);
    public static RuleViolation AlreadyExists(System.Enum reason, string message, string? clerk = null) => AlreadyExists(ErrorReasons.Code(reason), message, clerk);
    public static RuleViolation PermissionDenied(System.Enum reason, string message, string? clerk = null) => PermissionDenied(ErrorReasons.Code(reason), message, clerk);
    public static RuleViolation Unavailable(System.Enum reason, string message, string? clerk = null) => Unavailable(ErrorReasons.Code(reason), message, clerk);
    public static RuleViolation Build(Code code, System.Enum reason, string message, BadRequest? badRequest = null,
        IReadOnlyDictionary<string, string>? metadata = null, string? clerk = null) =>
        Build(code, ErrorReasons.Code(reason), message, badRequest, metadata, clerk);

    /// <summary>A refusal with facts (ErrorInfo metadata) and field problems taken from a google.rpc.BadRequest.</summary>
    public static RuleViolation Build(Code code, string reason, string message, BadRequest? badRequest = null,
        IReadOnlyDictionary<string, string>? metadata = null, string? clerk = null) =>
        new(reason, (RefusalStatus)(int)code, message, metadata, clerk,
            badRequest?.FieldViolations.Select(v => new FieldProblem(v.Field, v.Description)).ToList());

    /// <summary>The gRPC error a refusal leaves the service as, with its details in <paramref name="domain"/>.</summary>
    public static RpcException ToRpcException(RuleViolation violation, string domain)
    {
        var status = ToStatus(violation, domain);
        return status.ToRpcException();
    }

    /// <summary>The google.rpc.Status of a refusal: ErrorInfo (reason, domain, facts), BadRequest when fields are at
    /// fault, and the clerk's zh-CN LocalizedMessage.</summary>
    public static Google.Rpc.Status ToStatus(RuleViolation violation, string domain)
    {
        BadRequest? badRequest = null;
        if (violation.Fields.Count > 0)
        {
            badRequest = new BadRequest();
            foreach (var problem in violation.Fields)
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = problem.Field, Description = problem.Description });
        }
        return Status((Code)(int)violation.Status, violation.Reason, violation.Message, domain, badRequest, violation.Facts,
            violation.ClerkText);
    }

    /// <summary>A google.rpc.Status written outside a gRPC handler (HTTP middleware, the gateway).</summary>
    /// <param name="clerk">The zh-CN text for the clerk; null takes the catalog's text for <paramref name="reason"/>.</param>
    public static Google.Rpc.Status Status(Code code, string reason, string message, string domain, IMessage? extraDetail = null,
        IReadOnlyDictionary<string, string>? metadata = null, string? clerk = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = domain };
        if (metadata is not null) foreach (var (key, value) in metadata) info.Metadata[key] = value;
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.Add(Any.Pack(info));
        if (extraDetail is not null) status.Details.Add(Any.Pack(extraDetail));
        status.Details.Add(Any.Pack(Localized(clerk ?? ClerkMessages.For(reason, code))));
        return status;
    }

    public static LocalizedMessage Localized(string clerk) => new() { Locale = ClerkMessages.Locale, Message = clerk };

    /// <summary>
    /// The same error with the catalog's zh-CN text added when it carries none (an RpcException built elsewhere, or
    /// with no details at all); null when it already has one.
    /// </summary>
    public static RpcException? WithClerkText(RpcException exception, string? clerk = null)
    {
        var status = exception.GetRpcStatus();
        if (status?.GetDetail<LocalizedMessage>() is not null) return null;
        status ??= new Google.Rpc.Status { Code = (int)exception.StatusCode, Message = exception.Status.Detail };
        status.Details.Add(Any.Pack(Localized(clerk ?? ClerkMessages.For(status.GetDetail<ErrorInfo>()?.Reason, (Code)status.Code))));
        var trailers = new Metadata();
        foreach (var entry in exception.Trailers)
            if (entry.Key != "grpc-status-details-bin") trailers.Add(entry);
        trailers.SetRpcStatus(status);
        return new RpcException(new global::Grpc.Core.Status((StatusCode)status.Code, status.Message), trailers);
    }

    /// <summary>The reason code of an error built here, or null.</summary>
    public static string? ReasonOf(RpcException exception) =>
        exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;

    /// <summary>The zh-CN text of an error, or null.</summary>
    public static string? ClerkTextOf(RpcException exception) =>
        exception.GetRpcStatus()?.GetDetail<LocalizedMessage>()?.Message;
}

/// <summary>Collects every problem with a request before refusing it, so a client can fix them all at once.</summary>
public sealed class RequestValidator
{
    private readonly List<(string Field, string Description)> _violations = [];

    public RequestValidator Require(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) _violations.Add((field, "is required"));
        return this;
    }

    public RequestValidator Check(bool ok, string field, string description)
    {
        if (!ok) _violations.Add((field, description));
        return this;
    }

    public bool IsValid => _violations.Count == 0;

    public void ThrowIfInvalid(System.Enum reason) => ThrowIfInvalid(ErrorReasons.Code(reason));

    public void ThrowIfInvalid() => ThrowIfInvalid(PlatformReason.InvalidRequest);

    public void ThrowIfInvalid(string reason)
    {
        if (_violations.Count > 0)
            throw RpcErrors.InvalidArgument(reason,
                "The request is invalid: " + string.Join("; ", _violations.Select(v => $"{v.Field} {v.Description}")),
                ClerkText(), [.. _violations]);
    }

    /// <summary>The items to correct, as the clerk's form names them (the API's names stay in the field violations).</summary>
    private string ClerkText()
    {
        var fields = string.Join("、", _violations.Select(v => v.Field).Where(f => f.Length > 0)
            .Select(ClerkMessages.FieldLabel).Distinct());
        return fields.Length == 0 ? "提交的信息不完整或有误，请核对后重新提交。" : $"以下项目未填写或填写有误：{fields}。请核对后重新提交。";
    }
}
