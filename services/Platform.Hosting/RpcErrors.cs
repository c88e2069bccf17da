using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Google.Protobuf;
using Grpc.Core;

namespace Medins.Platform.Hosting;

/// <summary>
/// gRPC errors with <c>google.rpc</c> details: an ErrorInfo whose reason code clients branch on, and field
/// violations for bad input. The JSON API maps the status code to an HTTP status.
/// </summary>
public static class RpcErrors
{
    public const string Domain = "medins";

    public static RpcException InvalidArgument(string reason, string message, params (string Field, string Description)[] violations)
    {
        var badRequest = new BadRequest();
        foreach (var (field, description) in violations)
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });
        return Build(Code.InvalidArgument, reason, message, violations.Length > 0 ? badRequest : null);
    }

    public static RpcException NotFound(string reason, string message) => Build(Code.NotFound, reason, message);
    public static RpcException FailedPrecondition(string reason, string message) => Build(Code.FailedPrecondition, reason, message);
    public static RpcException AlreadyExists(string reason, string message) => Build(Code.AlreadyExists, reason, message);
    public static RpcException PermissionDenied(string reason, string message) => Build(Code.PermissionDenied, reason, message);
    public static RpcException Unavailable(string reason, string message) => Build(Code.Unavailable, reason, message);
    public static RpcException Internal(string reason, string message) => Build(Code.Internal, reason, message);

    public static RpcException Build(Code code, string reason, string message, IMessage? extraDetail = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (metadata is not null) foreach (var (key, value) in metadata) info.Metadata[key] = value;
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.Add(Any.Pack(info));
        if (extraDetail is not null) status.Details.Add(Any.Pack(extraDetail));
        return status.ToRpcException();
    }

    /// <summary>The reason code of an error built here, or null.</summary>
    public static string? ReasonOf(RpcException exception) =>
        exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
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

    public void ThrowIfInvalid(string reason = "INVALID_REQUEST")
    {
        if (_violations.Count > 0)
            throw RpcErrors.InvalidArgument(reason,
                "The request is invalid: " + string.Join("; ", _violations.Select(v => $"{v.Field} {v.Description}")),
                [.. _violations]);
    }
}
