using Medins.Platform.Hosting;
using GatewayReason = Medins.Gateway.V1.ErrorReason;

namespace Medins.Gateway.Credentials;

/// <summary>Reason codes (google.rpc.ErrorInfo.reason) of refused credentials.</summary>
public static class CredentialReasons
{
    public static readonly string Missing = ErrorReasons.Code(GatewayReason.CredentialMissing);
    public static readonly string Invalid = ErrorReasons.Code(GatewayReason.CredentialInvalid);
}

/// <summary>Either the caller a credential names, or why it was refused (a message safe to show the client).</summary>
public readonly record struct CredentialResult(GatewayCaller? Caller, string Reason, string Message)
{
    public static CredentialResult Accepted(GatewayCaller caller) => new(caller, "", "");
    public static CredentialResult Missing(string message) => new(null, CredentialReasons.Missing, message);
    public static CredentialResult Invalid(string message) => new(null, CredentialReasons.Invalid, message);
}
